using Microsoft.Extensions.Configuration;

namespace SemanticMIM.Platform.Jobs.Kubernetes;

/// <summary>The Job templates, one complete <c>batch/v1</c> Job (without a name) per kind of job.</summary>
public sealed class KubernetesJobTemplates
{
    /// <summary>The trainer's Job (<c>Jobs:Templates:Pretraining</c>; the chart mounts <c>/etc/semanticmim/jobs/pretraining.yaml</c>).</summary>
    public string? Pretraining { get; set; }

    /// <summary>The evaluator's Job (<c>Jobs:Templates:Evaluation</c>; the chart mounts <c>/etc/semanticmim/jobs/evaluation.yaml</c>).</summary>
    public string? Evaluation { get; set; }

    /// <summary>
    /// The tokens jobs' Job (<c>Jobs:Templates:Tokens</c>; the chart mounts <c>/etc/semanticmim/jobs/tokens.yaml</c>, the
    /// trainer's pod with the tokens jobs' GPUs, node selector, tolerations and queue). Optional: without it tokens jobs
    /// run on the trainer's template.
    /// </summary>
    public string? Tokens { get; set; }

    /// <summary>The kinds with a template of their own; the other kinds share one of theirs (<see cref="PathOf"/>).</summary>
    public static IReadOnlyList<string> OwnTemplates { get; } = [JobKinds.Pretraining, JobKinds.Evaluation];

    /// <summary>
    /// The template path of <paramref name="kind"/> (one of <see cref="JobKinds.All"/>). A report runs on the
    /// evaluator's template: the same image and host, without a GPU's worth of work but within the evaluator's limits.
    /// </summary>
    public string? PathOf(string kind) => kind switch
    {
        JobKinds.Pretraining => Pretraining,
        JobKinds.Evaluation or JobKinds.Report => Evaluation,
        JobKinds.Tokens => string.IsNullOrWhiteSpace(Tokens) ? Pretraining : Tokens,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"not one of: {string.Join(", ", JobKinds.All)}"),
    };
}

/// <summary>How <see cref="KubernetesJobWatcher"/> follows the Jobs (configuration <c>Jobs:Watcher</c>).</summary>
public sealed class KubernetesJobWatcherOptions
{
    /// <summary>The first delay before reconnecting a watch that failed; doubled (with jitter) on each failure in a row.</summary>
    public TimeSpan MinBackoff { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest delay between two reconnections.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the API server keeps one watch open before ending it (the watcher then opens another).</summary>
    public int WatchTimeoutSeconds { get; set; } = 300;
}

/// <summary>
/// The Kubernetes job launcher's configuration, bound from the section <c>Jobs</c> (environment variables
/// <c>Jobs__Launcher</c>, <c>Jobs__Namespace</c>, <c>Jobs__Templates__Pretraining</c>, <c>Jobs__Templates__Evaluation</c>, <c>Jobs__Templates__Tokens</c>,
/// optionally <c>Jobs__Api__*</c> and <c>Jobs__Watcher__*</c>) and checked by <see cref="KubernetesJobsOptionsValidator"/>.
/// Durations are <c>hh:mm:ss[.fff]</c>.
/// </summary>
public sealed class KubernetesJobsOptions
{
    public const string SectionName = "Jobs";

    /// <summary>The value of <c>Jobs:Launcher</c> that selects this launcher (anything else: jobs run in process).</summary>
    public const string KubernetesLauncher = "kubernetes";

    /// <summary><c>kubernetes</c> or <c>inprocess</c>: which launcher the host registers.</summary>
    public string? Launcher { get; set; }

    /// <summary>Where Jobs are created and watched (the chart: the pod's own namespace).</summary>
    public string? Namespace { get; set; }

    public KubernetesJobTemplates Templates { get; set; } = new();

    public KubernetesApiResilienceOptions Api { get; set; } = new();

    public KubernetesJobWatcherOptions Watcher { get; set; } = new();

    /// <summary>True when <c>Jobs:Launcher</c> is <c>kubernetes</c> (in any case).</summary>
    public static bool IsSelected(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return string.Equals(configuration[$"{SectionName}:{nameof(Launcher)}"]?.Trim(), KubernetesLauncher, StringComparison.OrdinalIgnoreCase);
    }
}
