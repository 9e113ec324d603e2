using SemanticMIM.Workers;

await WorkerHost.Build(args, "orchestrator", ServiceRole.Orchestrator).RunAsync();
