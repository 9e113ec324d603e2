using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Workers;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("trainer");
builder.AddObjectStore();
builder.AddTrainer();
builder.AddBus();

var app = builder.Build();
app.MapDefaultEndpoints();
return await app.RunJobsAsync();
