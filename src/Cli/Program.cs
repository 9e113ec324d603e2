using System.CommandLine;
using SemanticMIM.Cli;
using SemanticMIM.Model;

// First: tcmalloc for libtorch's tensors where it is installed (restarts the process; SEMANTICMIM_TCMALLOC=0 turns it off).
NativeAllocator.Use();
// Before anything loads libtorch: MKL's AVX-512 kernels on CPUs that have them (SEMANTICMIM_FAST_BLAS=0 turns it off).
FastBlas.Enable();

var root = new RootCommand("SemanticMIM: masked image modeling with a proxy-token bottleneck, on TorchSharp")
{
    RunCommand.Create(),
    SweepCommand.Create(),
    BenchmarkCommand.Create(),
    CapacityCommand.Create(),
    SubmitCommand.Create(),
    SubmitCommand.CreateStatus(),
    BrokerCommand.Create(),
    ModelCommand.Create(),
    VisualizeCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
