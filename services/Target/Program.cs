using SemanticMIM.Platform.Hosting;
using SemanticMIM.Workers;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("target");
builder.AddObjectStore();
builder.AddTargetService();
builder.AddBus();

var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
