using System.CommandLine;
using SemanticMIM.Cli;

var root = new RootCommand("SemanticMIM: masked image modeling with a proxy-token bottleneck, on TorchSharp")
{
    ModelCommand.Create(),
};
return root.Parse(args).Invoke();
