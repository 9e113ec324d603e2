using System.CommandLine;
using System.Globalization;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Pipeline;
using SemanticMIM.Planning;
using SemanticMIM.Planning.Validation;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Cli;

/// <summary><c>semanticmim benchmark SPEC</c>: measures loader throughput and training speed for a spec on this machine.</summary>
internal static class BenchmarkCommand
{
    public static Command Create()
    {
        var spec = new Argument<FileInfo>("spec") { Description = "Experiment spec file (YAML) with HOG targets" };
        var steps = new Option<int>("--steps") { Description = "Timed training steps (after 3 warm-up steps)", DefaultValueFactory = _ => 30 };
        var runs = new Option<DirectoryInfo>("--runs") { Description = "Run folder holding (or receiving) the spec's shards and targets", DefaultValueFactory = _ => new DirectoryInfo("runs") };
        var command = new Command("benchmark", "Measure loader throughput, training steps per second and memory for a spec") { spec, steps, runs };
        command.SetAction(async (parse, cancellation) =>
        {
            var file = parse.GetValue(spec)!;
            ExperimentPlan plan;
            try
            {
                plan = ExperimentPlan.Read(SpecReader.ReadText(file.FullName), file.Name, SpecLimits.ThisMachine());
            }
            catch (InvalidSpecException invalid)
            {
                Console.Error.WriteLine(invalid.Message);
                return 2;
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"{file.Name}: {error.Message}");
                return 2;
            }
            var root = parse.GetValue(runs)!.FullName;
            var files = new StoreFiles(new FolderObjectStore(root), Path.Combine(root, ".cache"));
            var result = await TrainingBenchmark.RunAsync(files, plan, parse.GetValue(steps), cancellation);
            var c = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(c, $"{plan.Id}: {plan.Describe(result.TrainSamples)}"));
            Console.WriteLine(string.Create(c, $"  loader alone        {result.LoaderImagesPerSecond,10:F0} images/s"));
            Console.WriteLine(string.Create(c, $"  training            {result.StepsPerSecond,10:F2} steps/s ({result.TrainImagesPerSecond:F0} images/s, batch {result.BatchSize}, {result.Steps} steps)"));
            Console.WriteLine(string.Create(c, $"  waiting on data     {result.DataWaitShare,10:P1} of the training time"));
            Console.WriteLine(string.Create(c, $"  working set         {result.WorkingSetBytesBefore / 1048576.0,10:F0} MiB before, {result.WorkingSetBytesAfter / 1048576.0:F0} MiB after the timed steps"));
            Console.WriteLine(string.Create(c, $"  cores               {Environment.ProcessorCount,10} ({TorchSharp.torch.get_num_threads()} torch threads)"));
            return 0;
        });
        return command;
    }
}
