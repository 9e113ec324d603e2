using SemanticMIM.Platform.Jobs;
using SemanticMIM.Workers.Jobs;

return await JobHost.RunAsync(args, "evaluator", JobKinds.Evaluation);
