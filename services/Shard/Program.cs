using SemanticMIM.Model;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Workers;

// First of all: tcmalloc, then MKL's AVX-512 kernels, before anything loads libtorch.
NativeRuntime.Prepare();

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("shard");
builder.AddObjectStore();
builder.AddShardService();
builder.AddBus();

var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
