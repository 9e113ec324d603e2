using SemanticMIM.Model;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Workers;

// First of all: tcmalloc, then MKL's AVX-512 kernels, before anything loads libtorch.
NativeRuntime.Prepare();

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("trainer");
builder.AddObjectStore();
builder.AddTrainer();
builder.AddBus();

var app = builder.Build();
app.MapDefaultEndpoints();
return await app.RunJobsAsync();
