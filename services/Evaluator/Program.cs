using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Workers;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("evaluator");
builder.AddObjectStore();
builder.AddEvaluator();
builder.AddBus();

var app = builder.Build();
app.MapDefaultEndpoints();
return await app.RunJobsAsync();
