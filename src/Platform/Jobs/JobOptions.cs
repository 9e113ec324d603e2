using SemanticMIM.Platform.Hosting;

namespace SemanticMIM.Platform.Jobs;

/// <summary>
/// The one job a trainer or evaluator host runs as a Kubernetes Job's container (configuration section <c>Job</c>,
/// set by the launcher as <c>Job__Name</c>, <c>Job__Kind</c>, <c>Job__ExperimentId</c>, <c>Job__EvaluationIndex</c>, and
/// <c>Job__Part</c> and <c>Job__Parts</c> for tokens jobs).
/// Without it, the host is a long-running job agent.
/// </summary>
public sealed class JobOptions
{
    public const string SectionName = "Job";

    public string Name { get; set; } = "";

    /// <summary>One of the host's kinds; may be left out when the host runs one kind only.</summary>
    public string Kind { get; set; } = "";

    public Guid ExperimentId { get; set; }

    /// <summary>Which evaluation of the spec (evaluation jobs only).</summary>
    public int? EvaluationIndex { get; set; }

    /// <summary>Which part of the training shards, from 0 (tokens jobs only).</summary>
    public int? Part { get; set; }

    /// <summary>Into how many parts the training shards are split (tokens jobs only).</summary>
    public int? Parts { get; set; }

    /// <summary>Whether a job is configured at all (one-job mode).</summary>
    public bool IsSet => Name.Length > 0 || Kind.Length > 0 || ExperimentId != Guid.Empty;

    /// <summary>The configured job; <paramref name="defaultKind"/> stands in for a missing kind.</summary>
    public JobSpec ToSpec(string defaultKind)
    {
        var part = Part is { } index && Parts is { } count ? new ShardPart(index, count) : null;
        var job = JobSpec.Of(Kind.Length > 0 ? Kind : defaultKind, ExperimentId, EvaluationIndex, part);
        return Name.Length > 0 ? job with { Name = Name } : job;
    }
}

/// <summary>Checks a configured job against the kinds its host runs.</summary>
public sealed class JobOptionsValidator(JobHostKinds kinds) : OptionsValidator<JobOptions>
{
    protected override IEnumerable<string> Problems(JobOptions options)
    {
        if (!options.IsSet)
        {
            yield break;
        }
        string at = JobOptions.SectionName;
        string kind = options.Kind.Length > 0 ? options.Kind : kinds.Kinds[0];
        if (!kinds.Kinds.Contains(kind, StringComparer.Ordinal))
        {
            yield return $"{at}:Kind is '{options.Kind}'; this host runs {string.Join(", ", kinds.Kinds)}.";
        }
        else if (options.Kind.Length == 0 && kinds.Kinds.Count > 1)
        {
            yield return $"{at}:Kind is missing; this host runs {string.Join(", ", kinds.Kinds)}.";
        }
        if (options.ExperimentId == Guid.Empty)
        {
            yield return $"{at}:ExperimentId must be a GUID.";
        }
        if (kind == JobKinds.Evaluation && options.EvaluationIndex is not >= 0)
        {
            yield return $"{at}:EvaluationIndex must be a non-negative integer for an evaluation job (got '{options.EvaluationIndex}').";
        }
        if (kind != JobKinds.Evaluation && options.EvaluationIndex is not null)
        {
            yield return $"{at}:EvaluationIndex applies to evaluation jobs only.";
        }
        if (kind == JobKinds.Tokens && new ShardPart(options.Part ?? -1, options.Parts ?? 0) is { IsValid: false })
        {
            yield return $"{at}:Part and {at}:Parts must name a part of the training shards for a tokens job (0 <= Part < Parts; got '{options.Part}' of '{options.Parts}').";
        }
        if (kind != JobKinds.Tokens && (options.Part is not null || options.Parts is not null))
        {
            yield return $"{at}:Part and {at}:Parts apply to tokens jobs only.";
        }
        if (options.Name.Length > 0 && !JobSpec.IsValidName(options.Name))
        {
            yield return $"{at}:Name '{options.Name}' is not a DNS-1123 label.";
        }
    }
}

/// <summary>The job kinds a trainer or evaluator host runs, the first being its main one.</summary>
public sealed record JobHostKinds(IReadOnlyList<string> Kinds);
