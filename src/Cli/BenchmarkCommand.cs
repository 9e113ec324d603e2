using System.CommandLine;
using System.Globalization;
using SemanticMIM.Benchmarks;
using SemanticMIM.Benchmarks.Workloads;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Pipeline;
using SemanticMIM.Planning;
using SemanticMIM.Planning.Validation;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Cli;

/// <summary>
/// <c>semanticmim benchmark SPEC</c>: measures loader throughput and training speed for a spec on this machine;
/// <c>semanticmim benchmark suite</c>: every stage side by side with PyTorch (<see cref="SuiteRunner"/>).
/// </summary>
internal static class BenchmarkCommand
{
    public static Command Create()
    {
        var spec = new Argument<FileInfo>("spec") { Description = "Experiment spec file (YAML) with HOG targets" };
        var steps = new Option<int>("--steps") { Description = "Timed training steps (after 3 warm-up steps)", DefaultValueFactory = _ => 30 };
        var runs = new Option<DirectoryInfo>("--runs") { Description = "Run folder holding (or receiving) the spec's shards and targets", DefaultValueFactory = _ => new DirectoryInfo("runs") };
        var command = new Command("benchmark", "Measure loader throughput, training steps per second and memory for a spec") { spec, steps, runs, CreateSuite(), CreateTable(), CreateSide() };
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

    /// <summary><c>benchmark suite</c>: the pairs of the mode, JSON to OUT/suite.json and the table on the console.</summary>
    private static Command CreateSuite()
    {
        var mode = new Option<SuiteMode>("--mode") { Description = "smoke (one step of every pair), quick (ViT-S/16 and the stages) or full (adds ViT-B/16)", DefaultValueFactory = _ => SuiteMode.Quick };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for suite.json and the work folder", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("artifacts", "benchmarks")) };
        var threads = new Option<int>("--threads") { Description = "Threads of both sides (torch threads and loader workers)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cores = new Option<string?>("--cores") { Description = "CPU list both sides are pinned to (taskset -c), by default the first THREADS cores" };
        var data = new Option<DirectoryInfo?>("--data") { Description = "An ImageNet-layout folder (train/<wnid>/*.JPEG) instead of generated data" };
        var only = new Option<string[]>("--only") { Description = "Run only the pairs whose names start with these", AllowMultipleArgumentsPerToken = true };
        var openBlas = new Option<string?>("--openblas-coretype") { Description = "OPENBLAS_CORETYPE for the PyTorch side, instead of the kernels the CPU's flags allow" };
        var command = new Command("suite", "Measure every stage side by side with PyTorch/torchvision, alternating, on pinned cores") { mode, output, threads, cores, data, only, openBlas };
        command.SetAction(async (parse, cancellation) =>
        {
            int count = parse.GetValue(threads);
            var options = new SuiteOptions
            {
                Mode = parse.GetValue(mode),
                Output = parse.GetValue(output)!.FullName,
                Threads = count,
                Cores = parse.GetValue(cores) ?? string.Create(CultureInfo.InvariantCulture, $"0-{count - 1}"),
                Data = parse.GetValue(data)?.FullName,
                Only = parse.GetValue(only) ?? [],
                OpenBlasCoreType = parse.GetValue(openBlas),
            };
            var runner = new SuiteRunner(options, Commands(), Console.Out);
            var result = await runner.RunAsync(cancellation);
            Console.WriteLine();
            Console.WriteLine(SuiteTable.Format(result));
            Console.WriteLine($"written: {runner.ResultPath}");
            return 0;
        });
        return command;
    }

    /// <summary><c>benchmark table</c>: the table of a suite's JSON again, for the README.</summary>
    private static Command CreateTable()
    {
        var results = new Argument<FileInfo>("suite-json") { Description = "A suite.json the suite wrote" };
        var command = new Command("table", "Print the Markdown table of a suite's results") { results };
        command.SetAction(parse =>
        {
            Console.Write(SuiteTable.Format(SuiteResult.Read(parse.GetValue(results)!.FullName)));
            return 0;
        });
        return command;
    }

    /// <summary>The project's side of one pair, in its own process (started by the suite).</summary>
    private static Command CreateSide()
    {
        var spec = new Argument<FileInfo>("side-spec") { Description = "The side spec (JSON) the suite wrote" };
        var command = new Command("side", "Run the project's side of one benchmark pair (used by the suite)") { spec };
        command.Hidden = true;
        command.SetAction(async (parse, cancellation) =>
        {
            var side = SideSpec.Read(parse.GetValue(spec)!.FullName);
            var run = await ProjectSide.RunAsync(side, cancellation);
            run.Write(side.Result);
            return 0;
        });
        return command;
    }

    /// <summary>How the suite starts sides: this assembly again for the project (through dotnet when that is the host), /usr/bin/python3 for the peer.</summary>
    internal static SideCommands Commands()
    {
        string host = Environment.ProcessPath ?? "dotnet";
        string self = typeof(BenchmarkCommand).Assembly.Location;
        IReadOnlyList<string> prefix = Path.GetFileNameWithoutExtension(host) == "dotnet" ? [host, self] : [host];
        return new SideCommands([.. prefix, "benchmark", "side"], SideCommands.DefaultPeer);
    }
}
