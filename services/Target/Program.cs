using SemanticMIM.Workers;

await WorkerHost.Build(args, "target", ServiceRole.Target).RunAsync();
