using System.CommandLine;
using SemanticMIM.Cli;

var root = new RootCommand("SemanticMIM: masked image modeling with a proxy-token bottleneck, on TorchSharp")
{
    RunCommand.Create(),
    BenchmarkCommand.Create(),
    SubmitCommand.Create(),
    SubmitCommand.CreateStatus(),
    BrokerCommand.Create(),
    ModelCommand.Create(),
    VisualizeCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
