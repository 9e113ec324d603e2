using System.CommandLine;
using SemanticMIM.Benchmarks;

namespace SemanticMIM.Cli;

/// <summary><c>semanticmim capacity</c>: hours and bytes per stage for ImageNet-1K from the benchmark suite's measured rates.</summary>
internal static class CapacityCommand
{
    public static Command Create()
    {
        var results = new Option<FileInfo[]>("--results")
        {
            Description = "suite.json files: the CPU suite's, and a GPU check's in the same shape",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var epochs = new Option<int>("--epochs") { Description = "Pretraining epochs", DefaultValueFactory = _ => 300 };
        var workers = new Option<int>("--workers") { Description = "CPU workers, each like the machine the suite ran on", DefaultValueFactory = _ => 1 };
        var gpus = new Option<int>("--gpus") { Description = "GPUs, each like the GPU check's (0: every stage on CPU workers)", DefaultValueFactory = _ => 0 };
        var command = new Command("capacity", "Plan ImageNet-1K: hours and bytes per stage (shard, targets, pretrain, evaluation) from measured rates")
        {
            results, epochs, workers, gpus,
        };
        command.SetAction(parse =>
        {
            var question = new CapacityQuestion { Epochs = parse.GetValue(epochs), Workers = parse.GetValue(workers), Gpus = parse.GetValue(gpus) };
            if (question.Epochs <= 0 || question.Workers <= 0 || question.Gpus < 0)
            {
                Console.Error.WriteLine("--epochs and --workers must be positive, --gpus not negative");
                return 2;
            }
            var suites = parse.GetValue(results)!.Select(file => SuiteResult.Read(file.FullName)).ToList();
            Console.Write(Capacity.Format(Capacity.Plan(suites, question), question));
            return 0;
        });
        return command;
    }
}
