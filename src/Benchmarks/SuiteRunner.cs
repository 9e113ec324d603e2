using System.Globalization;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Data.Shards;
using SemanticMIM.Model.Checkpoints;
using SemanticMIM.Model.Targets;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Planning;
using SemanticMIM.Planning.Configs;
using SemanticMIM.Platform.Storage;
using static TorchSharp.torch;

namespace SemanticMIM.Benchmarks;

/// <summary>How the suite starts a side: the command before the side spec's path, for the project and for the peer.</summary>
public sealed record SideCommands(IReadOnlyList<string> Project, IReadOnlyList<string> Peer)
{
    public const string Python = "/usr/bin/python3";

    /// <summary>The peers next to the Benchmarks assembly (copied there by the build).</summary>
    public static IReadOnlyList<string> DefaultPeer =>
        [Python, Path.Combine(AppContext.BaseDirectory, "benchmarks", "peers.py")];
}

/// <summary>What the suite is asked to do.</summary>
public sealed record SuiteOptions
{
    public required SuiteMode Mode { get; init; }

    /// <summary>Where suite.json goes; the work folder (data, store, logs, side files) is <c>work/</c> inside it.</summary>
    public required string Output { get; init; }

    /// <summary>The cores both sides are pinned to (taskset's list syntax).</summary>
    public required string Cores { get; init; }

    /// <summary>Threads of both sides: torch's threads, and the loaders' workers.</summary>
    public required int Threads { get; init; }

    /// <summary>An existing ImageNet-layout folder to shard instead of generated data.</summary>
    public string? Data { get; init; }

    /// <summary>Only the pairs whose name starts with one of these (all when empty).</summary>
    public IReadOnlyList<string> Only { get; init; } = [];

    /// <summary>The OpenBLAS kernels for the PyTorch side, instead of the ones the suite picks from the CPU's flags.</summary>
    public string? OpenBlasCoreType { get; init; }

    /// <summary>Longest a side process may run.</summary>
    public TimeSpan SideTimeout { get; init; } = TimeSpan.FromMinutes(20);
}

/// <summary>
/// Runs the suite: generates ImageNet-layout data, shards it and computes the targets the loader reads (untimed),
/// then every pair as alternating side processes (project, peer, project, peer, …), each pinned with taskset to the
/// same cores with the same thread count, 3 pairs per figure and up to 5 when the time ratio's range straddles the
/// goal. Writes suite.json and returns the result.
/// </summary>
public sealed class SuiteRunner(SuiteOptions options, SideCommands commands, TextWriter log)
{
    private readonly string _work = Path.Combine(Path.GetFullPath(options.Output), "work");
    private int _order;

    public string ResultPath => Path.Combine(Path.GetFullPath(options.Output), "suite.json");

    public async Task<SuiteResult> RunAsync(CancellationToken cancellation = default)
    {
        var started = DateTimeOffset.UtcNow;
        var cpu = CpuInfo.Read();
        var openBlas = OpenBlasChoice.Decide(commands.Peer[0], cpu, options.OpenBlasCoreType);
        var machine = MachineInfo.Describe(cpu, options.Cores, options.Threads, openBlas);
        log.WriteLine($"CPU: {cpu.Model}, {cpu.LogicalCores} logical cores; sides pinned to cores {options.Cores}, {options.Threads} threads");
        log.WriteLine($"OpenBLAS for PyTorch: detected {openBlas.Detected}, {OpenBlasChoice.Variable}: {openBlas.Set ?? "(not set)"} ({openBlas.Reason})");
        var plans = SuitePlans.For(options.Mode)
            .Where(p => options.Only.Count == 0 || options.Only.Any(prefix => p.Name.StartsWith(prefix, StringComparison.Ordinal)))
            .ToList();
        var setup = await PrepareAsync(plans, cancellation);
        var pairs = new List<PairResult>();
        foreach (var plan in plans)
        {
            cancellation.ThrowIfCancellationRequested();
            pairs.Add(RunPair(plan, setup, cpu, openBlas, cancellation));
        }
        var result = new SuiteResult
        {
            Mode = options.Mode.ToString().ToLowerInvariant(),
            Started = started,
            Finished = DateTimeOffset.UtcNow,
            Machine = machine,
            Pairs = pairs,
        };
        result.Write(ResultPath);
        return result;
    }

    /// <summary>What every side reads: the specs, the store with shards and targets, the ImageFolder copy, DALL-E weights.</summary>
    private sealed record Setup(string Source, string Store, string ImageFolder, string DalleWeights, IReadOnlyDictionary<string, string> Specs);

    private async Task<Setup> PrepareAsync(IReadOnlyList<PairPlan> plans, CancellationToken cancellation)
    {
        var data = SuitePlans.Data(options.Mode);
        Directory.CreateDirectory(_work);
        string source = options.Data ?? Path.Combine(_work, "data");
        if (options.Data is null && !Directory.Exists(Path.Combine(source, "train")))
        {
            log.WriteLine($"generating {data.TrainImages} ImageNet-layout training images in {source}");
            ImageNetLayoutGenerator.Generate(source, data.Classes, data.TrainPerClass, data.ValidationPerClass);
        }
        var specs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var model in plans.Select(p => p.Model).OfType<BenchmarkModel>().Distinct())
        {
            string path = Path.Combine(_work, "specs", model.Name + ".yaml");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, model.SpecYaml(source, data.ShardSize));
            specs[model.Name] = path;
        }
        string store = Path.Combine(_work, "store");
        string imageFolder = Path.Combine(_work, "imagefolder");
        string dalle = Path.Combine(_work, "dalle-random.safetensors");
        var sharded = plans.FirstOrDefault(p => p.Kind is PairKind.Loader or PairKind.Hog);
        if (sharded is not null)
        {
            var plan = ExperimentPlan.From(SpecReader.ReadFile(specs[sharded.Model!.Name]));
            var files = new StoreFiles(new FolderObjectStore(store), Path.Combine(store, ".cache"));
            log.WriteLine("sharding the data and computing the loader's HOG targets (untimed setup)");
            var train = (await ShardStage.RunAsync(files, plan.Dataset, plan.Dataset.TrainSplit, cancellation: cancellation)).Value;
            await TargetStage.RunAsync(files, plan.Targets, plan.Dataset, train, null, cancellation: cancellation);
            ExportImageFolder(await files.LocalFolderAsync(StoreLayout.DatasetSplit(plan.Dataset.Id, plan.Dataset.TrainSplit), cancellation), imageFolder);
        }
        if (plans.Any(p => p.Kind == PairKind.Dalle) && !File.Exists(dalle))
        {
            WriteDalleWeights(dalle);
        }
        return new Setup(source, store, imageFolder, dalle, specs);
    }

    /// <summary>The shards' JPEG bytes as class/key.jpg, so torchvision's ImageFolder decodes exactly what the project decodes.</summary>
    private static void ExportImageFolder(string shardFolder, string imageFolder)
    {
        if (Directory.Exists(imageFolder))
        {
            return;
        }
        string partial = imageFolder + ".partial";
        if (Directory.Exists(partial))
        {
            Directory.Delete(partial, recursive: true);
        }
        foreach (var sample in new ShardReader(shardFolder).ReadAll())
        {
            string folder = Directory.CreateDirectory(Path.Combine(partial, (sample.ClassIndex ?? 0).ToString("D4", CultureInfo.InvariantCulture))).FullName;
            File.WriteAllBytes(Path.Combine(folder, sample.Key.Replace('/', '_') + ".jpg"), sample.ImageBytes);
        }
        Directory.Move(partial, imageFolder);
    }

    /// <summary>Random weights of the released encoder's shape (real weights cannot be downloaded here), shared by both sides.</summary>
    private static void WriteDalleWeights(string path)
    {
        manual_seed(0);
        using var encoder = new DalleEncoder(new DalleEncoderConfig());
        SafetensorsFile.Save(path, encoder.state_dict(), new Dictionary<string, string> { ["weights"] = "random, released shape" });
    }

    private PairResult RunPair(PairPlan pair, Setup setup, CpuInfo cpu, OpenBlasChoice openBlas, CancellationToken cancellation)
    {
        log.WriteLine($"{pair.Name}: {pair.Title}");
        var project = new List<SideRun>();
        var peer = new List<SideRun>();
        int target = options.Mode == SuiteMode.Smoke ? 1 : SuitePlans.Pairs;
        while (project.Count < target)
        {
            cancellation.ThrowIfCancellationRequested();
            project.Add(RunSide(pair, setup, "project", openBlas));
            if (pair.HasPeer)
            {
                peer.Add(RunSide(pair, setup, "peer", openBlas));
            }
            var figures = PairSummary.Of(pair.Kind, project, peer);
            log.WriteLine(Progress(project.Count, figures));
            if (project.Count == target && target < SuitePlans.MostPairs && options.Mode != SuiteMode.Smoke
                && figures.TimeRatio is { } ratio && ratio.Straddles(SuitePlans.TimeGoal))
            {
                target = SuitePlans.MostPairs;
            }
        }
        return new PairResult
        {
            Name = pair.Name,
            Kind = pair.Kind,
            Title = pair.Title,
            Preset = pair.Kind is PairKind.Train or PairKind.Features ? pair.Model!.Preset : null,
            Cpu = cpu,
            Project = project,
            Peer = peer,
            Summary = PairSummary.Of(pair.Kind, project, peer),
        };
    }

    private static string Progress(int pairs, PairSummary figures)
    {
        var c = CultureInfo.InvariantCulture;
        string line = string.Create(c, $"  pair {pairs}: project {figures.ProjectRate.Median:F2}/s");
        return figures.TimeRatio is { } ratio
            ? line + string.Create(c, $", peer {figures.PeerRate!.Median:F2}/s, time ratio {ratio.Median:F2} ({ratio.Min:F2}–{ratio.Max:F2})")
            : line;
    }

    private SideRun RunSide(PairPlan pair, Setup setup, string side, OpenBlasChoice openBlas)
    {
        int order = ++_order;
        string name = string.Create(CultureInfo.InvariantCulture, $"{order:D3}-{pair.Name}-{side}");
        string sides = Directory.CreateDirectory(Path.Combine(_work, "sides")).FullName;
        string specPath = Path.Combine(sides, name + ".spec.json");
        string resultPath = Path.Combine(sides, name + ".result.json");
        File.Delete(resultPath);
        SideSpecFor(pair, setup, resultPath).Write(specPath);

        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (side == "peer" && openBlas.Set is { } coreType)
        {
            environment[OpenBlasChoice.Variable] = coreType;
        }
        var command = side == "project" ? commands.Project : commands.Peer;
        SideProcess.Run([.. command, specPath], options.Cores, options.Threads, environment, options.SideTimeout, Path.Combine(sides, name + ".log"),
            $"the {side} side of {pair.Name}");
        return SideRun.Read(resultPath) with { Order = order };
    }

    private SideSpec SideSpecFor(PairPlan pair, Setup setup, string resultPath)
    {
        var spec = new SideSpec
        {
            Pair = pair.Name,
            Kind = pair.Kind,
            Result = resultPath,
            Threads = options.Threads,
            Warmup = pair.Warmup,
            Steps = pair.Steps,
            Batch = pair.Batch,
            Store = setup.Store,
            Source = setup.Source,
            ImageFolder = setup.ImageFolder,
            MinScale = 0.5,
            ImageSize = pair.Kind == PairKind.Dalle ? SuitePlans.DalleInputSize : 224,
            Views = 2,
        };
        if (pair.Kind == PairKind.Dalle)
        {
            return spec with { DalleWeights = setup.DalleWeights };
        }
        string specFile = setup.Specs[pair.Model!.Name];
        var plan = ExperimentPlan.From(SpecReader.ReadFile(specFile));
        var encoder = plan.Model.Encoder;
        var training = plan.Training(1);
        var hog = plan.Model.HogOrDefault;
        return spec with
        {
            SpecFile = specFile,
            Model = new ModelShape
            {
                Method = pair.Model.Method,
                Preset = pair.Model.Preset,
                Flavour = encoder.Flavour == BlockFlavour.MaskFeat ? "maskfeat" : "beit",
                ImageSize = encoder.ImageSize,
                PatchSize = encoder.PatchSize,
                EmbedDim = encoder.EmbedDim,
                Depth = encoder.Depth,
                Heads = encoder.NumHeads,
                MlpDim = encoder.MlpDim,
                Proxies = encoder.NumProxies,
                MaskRatio = training.MaskRatio,
                TargetDim = plan.Model.HeadOutputDim,
                LearningRate = training.PeakLearningRate,
                WeightDecay = training.WeightDecay,
                GradClip = training.GradientClipNorm,
            },
            Hog = new HogShape(hog.NumBins, hog.CellSize, hog.GaussianWindow, hog.PatchSize),
        };
    }
}
