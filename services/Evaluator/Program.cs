using SemanticMIM.Model;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Workers;

// First of all: tcmalloc, then MKL's AVX-512 kernels, before anything loads libtorch.
NativeRuntime.Prepare();

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("evaluator");
builder.AddObjectStore();
builder.AddEvaluator();
builder.AddBus();

var app = builder.Build();
app.MapDefaultEndpoints();
return await app.RunJobsAsync();
