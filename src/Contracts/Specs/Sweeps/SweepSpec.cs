using SemanticMIM.Contracts.Results;

namespace SemanticMIM.Contracts.Specs.Sweeps;

/// <summary>
/// A grid of experiments over one base spec (a YAML file whose one top-level key is <c>sweep</c>; <see cref="SweepReader"/>
/// reads it): every arm × every combination of axis values × every seed is one cell, an experiment of its own.
/// </summary>
public sealed record SweepSpec
{
    /// <summary>Names the sweep, its report (<c>sweeps/&lt;name&gt;/</c>) and, as their prefix, its cells.</summary>
    public required string Name { get; init; }

    /// <summary>The base spec's YAML, read from its file or written inline; every cell starts from it.</summary>
    public required string BaseYaml { get; init; }

    /// <summary>Named sets of settings, each crossed with the axes (one unnamed arm when the file has none).</summary>
    public required IReadOnlyList<SweepArm> Arms { get; init; }

    public required IReadOnlyList<SweepAxis> Axes { get; init; }

    /// <summary>Each cell runs once per seed, as <c>training.seed</c>.</summary>
    public required IReadOnlyList<int> Seeds { get; init; }

    public ViewSeedMode ViewSeed { get; init; } = ViewSeedMode.Fixed;

    /// <summary>At most this many cells run at once on a platform (0 = no limit of the sweep's own).</summary>
    public int Concurrency { get; init; }

    /// <summary>The number the sweep plots and compares first (and its dashboard shows).</summary>
    public SweepMetric Metric { get; init; } = new();

    /// <summary>Further numbers the report summarises and compares the same way (e.g. the best layer besides the last).</summary>
    public IReadOnlyList<SweepMetric> AlsoReport { get; init; } = [];
}

/// <summary>
/// A named set of settings (<c>method: baseline</c>, <c>masking.ratio: 0.4</c>) that one arm applies to the base, run on
/// <see cref="Seeds"/> (a subset of the sweep's, for a cheaper control arm) or, when null, on every seed of the sweep.
/// </summary>
public sealed record SweepArm(string Name, IReadOnlyList<SweepSetting> Settings, IReadOnlyList<int>? Seeds = null);

/// <summary>One spec field, by its dotted path (<c>evaluations[0].epochs</c>), set to a value as the YAML wrote it.</summary>
public sealed record SweepSetting(string Path, string Value);

/// <summary>A field the sweep varies, with the values it takes in turn.</summary>
public sealed record SweepAxis(string Path, IReadOnlyList<string> Values);

/// <summary>How a cell's view seed (<c>augmentation.seed</c>, which fixes the recorded views and so the targets) is chosen.</summary>
public enum ViewSeedMode
{
    /// <summary>The base spec's, for every seed: cells that differ only in their seed share targets.</summary>
    Fixed,

    /// <summary>Each cell's own seed: the seeds vary the views and targets too, which are then computed per seed.</summary>
    PerSeed,
}

/// <summary>
/// The number a sweep reports and plots per cell: one result of the pretrained encoder (protocol, feature and metric as
/// <c>results.json</c> names them) at the last layer or the best one.
/// </summary>
public sealed record SweepMetric
{
    public string Protocol { get; init; } = ProtocolNames.LinearProbe;

    public string Feature { get; init; } = "cls";

    public string Metric { get; init; } = "top1";

    public SweepLayer Layer { get; init; } = SweepLayer.Last;

    public override string ToString() => $"{Protocol} {Feature} {Metric}, {(Layer == SweepLayer.Last ? "last" : "best")} layer";
}

public enum SweepLayer
{
    Last,
    Best,
}

/// <summary>One experiment of a sweep: its name, what it sets, its seed, and the spec YAML it runs with.</summary>
public sealed record SweepCell
{
    public required string Name { get; init; }

    /// <summary>The arm's name, empty for a sweep without arms.</summary>
    public required string Arm { get; init; }

    /// <summary>The value of each axis in this cell, in the axes' order.</summary>
    public required IReadOnlyList<SweepSetting> Point { get; init; }

    public required int Seed { get; init; }

    /// <summary>The base spec with the arm's settings, the point, the seeds and the name applied.</summary>
    public required string SpecYaml { get; init; }

    /// <summary>The cells that differ only in their seed share this key: the arm and the point.</summary>
    public string Group => string.Join(", ", (Arm.Length > 0 ? [Arm] : Array.Empty<string>()).Concat(Point.Select(p => $"{p.Path}={p.Value}")));
}
