using System.Text.RegularExpressions;

namespace SemanticMIM.Platform.Jobs;

/// <summary>
/// One job to launch: the same description for the in-process launcher and for a Kubernetes Job, whose name
/// <see cref="Name"/> becomes (hence a DNS-1123 label). Launching is idempotent by name.
/// </summary>
public sealed partial record JobSpec
{
    /// <summary>Kubernetes object names of Jobs: at most 63 characters (the pods' job-name label).</summary>
    public const int MaxNameLength = 63;

    static readonly IReadOnlyDictionary<string, string> NoEnvironment = new Dictionary<string, string>();

    /// <summary>A DNS-1123 label: 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit.</summary>
    public required string Name { get; init; }

    /// <summary>One of <see cref="JobKinds.All"/>.</summary>
    public required string Kind { get; init; }

    public required Guid ExperimentId { get; init; }

    /// <summary>Which evaluation of the spec (from 0); required for evaluation jobs, absent for pretraining.</summary>
    public int? EvaluationIndex { get; init; }

    /// <summary>Which part of the training shards; required for tokens jobs, absent for the others.</summary>
    public ShardPart? Part { get; init; }

    /// <summary>Environment variables for the job's process (names like C identifiers, dots and dashes allowed).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = NoEnvironment;

    /// <summary>The pretraining job of an experiment, named <c>pretrain-&lt;experiment id, 32 hex digits&gt;</c>.</summary>
    public static JobSpec Pretraining(Guid experimentId, IReadOnlyDictionary<string, string>? environment = null) => new()
    {
        Name = $"pretrain-{experimentId:N}",
        Kind = JobKinds.Pretraining,
        ExperimentId = experimentId,
        Environment = environment ?? NoEnvironment,
    };

    /// <summary>Evaluation <paramref name="evaluationIndex"/> of an experiment, named <c>eval-&lt;experiment id&gt;-&lt;index&gt;</c>.</summary>
    public static JobSpec Evaluation(Guid experimentId, int evaluationIndex, IReadOnlyDictionary<string, string>? environment = null) => new()
    {
        Name = $"eval-{experimentId:N}-{evaluationIndex}",
        Kind = JobKinds.Evaluation,
        ExperimentId = experimentId,
        EvaluationIndex = evaluationIndex,
        Environment = environment ?? NoEnvironment,
    };

    /// <summary>The report job of an experiment, named <c>report-&lt;experiment id&gt;</c>.</summary>
    public static JobSpec Report(Guid experimentId, IReadOnlyDictionary<string, string>? environment = null) => new()
    {
        Name = $"report-{experimentId:N}",
        Kind = JobKinds.Report,
        ExperimentId = experimentId,
        Environment = environment ?? NoEnvironment,
    };

    /// <summary>Part <paramref name="part"/> of an experiment's tokens jobs, named <c>tokens-&lt;experiment id&gt;-&lt;part index&gt;</c>.</summary>
    public static JobSpec Tokens(Guid experimentId, ShardPart part, IReadOnlyDictionary<string, string>? environment = null) => new()
    {
        Name = $"tokens-{experimentId:N}-{part.Index}",
        Kind = JobKinds.Tokens,
        ExperimentId = experimentId,
        Part = part,
        Environment = environment ?? NoEnvironment,
    };

    /// <summary>
    /// The job of <paramref name="kind"/> for an experiment (<paramref name="evaluationIndex"/> for evaluations only,
    /// <paramref name="part"/> for tokens jobs only).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown kind, an evaluation without its index or a tokens job without its part.</exception>
    public static JobSpec Of(string kind, Guid experimentId, int? evaluationIndex = null, ShardPart? part = null) => kind switch
    {
        JobKinds.Tokens => Tokens(experimentId, part ?? throw new ArgumentException("a tokens job needs its part of the shards", nameof(part))),
        JobKinds.Pretraining => Pretraining(experimentId),
        JobKinds.Evaluation => Evaluation(experimentId, evaluationIndex
            ?? throw new ArgumentException("an evaluation job needs its evaluation index", nameof(evaluationIndex))),
        JobKinds.Report => Report(experimentId),
        _ => throw new ArgumentException($"unknown job kind '{kind}'; known kinds: {string.Join(", ", JobKinds.All)}", nameof(kind)),
    };

    public static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= MaxNameLength } && DnsLabel().IsMatch(name);

    /// <summary>Every problem of this spec, empty when it can be launched.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!IsValidName(Name))
        {
            problems.Add($"Name '{Name}' is not a DNS-1123 label (1 to {MaxNameLength} lowercase letters, digits and '-', " +
                         "starting and ending with a letter or digit).");
        }

        if (!JobKinds.All.Contains(Kind, StringComparer.Ordinal))
        {
            problems.Add($"Kind '{Kind}' is not one of: {string.Join(", ", JobKinds.All)}.");
        }

        if (ExperimentId == Guid.Empty)
        {
            problems.Add("ExperimentId is empty.");
        }

        if (Kind == JobKinds.Evaluation && EvaluationIndex is null)
        {
            problems.Add("EvaluationIndex is required for an evaluation job.");
        }
        else if (Kind is JobKinds.Pretraining or JobKinds.Report or JobKinds.Tokens && EvaluationIndex is not null)
        {
            problems.Add($"EvaluationIndex must be absent for a {Kind} job.");
        }

        if (Kind == JobKinds.Tokens && Part is null)
        {
            problems.Add("Part is required for a tokens job.");
        }
        else if (Kind != JobKinds.Tokens && Part is not null)
        {
            problems.Add($"Part must be absent for a {Kind} job.");
        }

        if (Part is { IsValid: false })
        {
            problems.Add($"Part is {Part.Index} of {Part.Count}; it needs 1 or more parts and an index from 0 to the count less one.");
        }

        if (EvaluationIndex < 0)
        {
            problems.Add($"EvaluationIndex is {EvaluationIndex}; it must be 0 or more.");
        }

        if (Environment is null)
        {
            problems.Add("Environment is null; use an empty dictionary.");
        }
        else
        {
            foreach (var (key, value) in Environment)
            {
                if (!EnvironmentName().IsMatch(key))
                {
                    problems.Add($"Environment variable name '{key}' is invalid (letters, digits, '_', '.', '-', not starting with a digit).");
                }

                if (value is null)
                {
                    problems.Add($"Environment variable '{key}' has a null value.");
                }
            }
        }

        return problems;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem, if there is any.</summary>
    public void EnsureValid()
    {
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"Job '{Name}' is invalid:{System.Environment.NewLine}" +
                                        string.Join(System.Environment.NewLine, problems.Select(p => "  - " + p)));
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[A-Za-z_.-][A-Za-z0-9_.-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvironmentName();
}
