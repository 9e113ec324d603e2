using SemanticMIM.Orchestration;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Jobs;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("orchestrator");
builder.AddObjectStore();
builder.AddOrchestrator();
builder.AddJobLauncher();
builder.AddBus();

var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
