using SemanticMIM.Workers;

await WorkerHost.Build(args, "shard", ServiceRole.Shard).RunAsync();
