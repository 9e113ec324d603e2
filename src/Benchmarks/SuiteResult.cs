using System.Text.Json;

namespace SemanticMIM.Benchmarks;

/// <summary>
/// A suite run as JSON (<c>suite.json</c>; schema <see cref="SchemaName"/>), the input of <c>semanticmim capacity</c>.
/// Shape: <c>machine</c> (device, CPU model and flags, pinned cores, threads, OpenBLAS choice), then <c>pairs</c>, each
/// with its <c>kind</c> (train, loader, hog, dalle, features, shard), the CPU again, the raw runs of both sides in the
/// order they ran (<see cref="SideRun"/>: seconds of every step, memory after every step, VmHWM, extras such as
/// <c>storedBytesPerImage</c>) and a <c>summary</c> (rates in items/s as median, min and max over the pairs; time and
/// memory ratios project/peer). A GPU check writes the same shape with <c>machine.device</c> = <c>cuda</c> and
/// <c>machine.gpu</c> set, with as many pairs as it measured.
/// </summary>
public sealed record SuiteResult
{
    public const string SchemaName = "semanticmim.benchmark-suite.v1";

    public string Schema { get; init; } = SchemaName;

    public required string Mode { get; init; }

    public required DateTimeOffset Started { get; init; }

    public required DateTimeOffset Finished { get; init; }

    public required MachineInfo Machine { get; init; }

    public required IReadOnlyList<PairResult> Pairs { get; init; }

    public static SuiteResult Read(string path)
    {
        var result = JsonSerializer.Deserialize<SuiteResult>(File.ReadAllText(path), SideSpec.Json)
            ?? throw new InvalidDataException($"{path} holds no suite result");
        if (result.Schema != SchemaName)
        {
            throw new InvalidDataException($"{path} is '{result.Schema}', not a {SchemaName} suite result");
        }
        return result;
    }

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, SideSpec.Json));
}

/// <summary>One pair's raw runs and summary.</summary>
public sealed record PairResult
{
    public required string Name { get; init; }

    public required PairKind Kind { get; init; }

    public required string Title { get; init; }

    /// <summary>The pretraining model's preset for train and feature pairs (small, base).</summary>
    public string? Preset { get; init; }

    public required CpuInfo Cpu { get; init; }

    public required IReadOnlyList<SideRun> Project { get; init; }

    public IReadOnlyList<SideRun> Peer { get; init; } = [];

    public required PairSummary Summary { get; init; }
}

/// <summary>
/// A pair's figures over its alternating runs: rates (items/s over each run's timed steps), the ratio of the project's
/// mean step time to the peer's in the same pair, the ratio of peak resident memories, the project's memory growth
/// after the second step, stored bytes per image, and whether each of the goals is met (null: no goal).
/// </summary>
public sealed record PairSummary
{
    public required int Pairs { get; init; }

    public required FigureRange ProjectRate { get; init; }

    public FigureRange? PeerRate { get; init; }

    public FigureRange? TimeRatio { get; init; }

    public FigureRange? MemoryRatio { get; init; }

    public required long ProjectPeakBytes { get; init; }

    public long? PeerPeakBytes { get; init; }

    /// <summary>The largest growth of the project's resident memory from step 2 to the last step, over its runs.</summary>
    public required long ProjectGrowthAfterSecondStepBytes { get; init; }

    /// <summary>The same for the peer: what PyTorch's allocator does by the same measure.</summary>
    public long? PeerGrowthAfterSecondStepBytes { get; init; }

    public FigureRange? StoredBytesPerImage { get; init; }

    public bool? TimeGoalMet { get; init; }

    public bool? MemoryGoalMet { get; init; }

    public bool? FlatMemoryGoalMet { get; init; }

    public static PairSummary Of(PairKind kind, IReadOnlyList<SideRun> project, IReadOnlyList<SideRun> peer)
    {
        var stored = project.Select(r => r.Extra.TryGetValue("storedBytesPerImage", out var value) ? value.GetDouble() : double.NaN)
            .Where(double.IsFinite).ToList();
        long growth = project.Max(r => r.GrowthAfterSecondStepBytes);
        long peak = project.Max(r => r.VmHwmBytes);
        var summary = new PairSummary
        {
            Pairs = project.Count,
            ProjectRate = Statistics.Range(project.Select(r => r.Rate).ToList()),
            ProjectPeakBytes = peak,
            ProjectGrowthAfterSecondStepBytes = growth,
            StoredBytesPerImage = stored.Count > 0 ? Statistics.Range(stored) : null,
        };
        if (peer.Count == 0)
        {
            return summary;
        }
        var time = Statistics.Range(project.Zip(peer, (p, q) => p.MeanStepSeconds / q.MeanStepSeconds).ToList());
        var memory = Statistics.Range(project.Zip(peer, (p, q) => (double)p.VmHwmBytes / q.VmHwmBytes).ToList());
        bool train = kind == PairKind.Train;
        return summary with
        {
            PeerRate = Statistics.Range(peer.Select(r => r.Rate).ToList()),
            TimeRatio = time,
            MemoryRatio = memory,
            PeerPeakBytes = peer.Max(r => r.VmHwmBytes),
            PeerGrowthAfterSecondStepBytes = peer.Max(r => r.GrowthAfterSecondStepBytes),
            TimeGoalMet = time.Median <= SuitePlans.TimeGoal,
            MemoryGoalMet = train ? memory.Median <= SuitePlans.TrainMemoryGoal : null,
            // Flat: what the allocator and the runtime settle into, not growth with every step.
            FlatMemoryGoalMet = train ? growth <= Math.Max(16L << 20, peak / 50) : null,
        };
    }
}
