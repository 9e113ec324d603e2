using System.CommandLine;
using SemanticMIM.Cli;
using SemanticMIM.Model;

// First of all: tcmalloc, then MKL's AVX-512 kernels, before anything loads libtorch.
NativeRuntime.Prepare();

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
