using SemanticMIM.Platform.Hosting;
using SemanticMIM.Workers;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("shard");
builder.AddObjectStore();
builder.AddShardService();
builder.AddBus();

var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
