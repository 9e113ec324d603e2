using SemanticMIM.Model;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Workers;

// First: tcmalloc for libtorch's tensors where it is installed (restarts the process; SEMANTICMIM_TCMALLOC=0 turns it off).
NativeAllocator.Use();
// Before anything loads libtorch: MKL's AVX-512 kernels on CPUs that have them (SEMANTICMIM_FAST_BLAS=0 turns it off).
FastBlas.Enable();

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("shard");
builder.AddObjectStore();
builder.AddShardService();
builder.AddBus();

var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
