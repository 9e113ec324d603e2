using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace SemanticMIM.Platform.Jobs.Kubernetes;

/// <summary>The Job templates, one complete <c>batch/v1</c> Job (without a name) per kind of job.</summary>
public sealed class KubernetesJobTemplates
{
    /// <summary>The trainer's Job (<c>Jobs:Templates:Pretraining</c>; the chart mounts <c>/etc/semanticmim/jobs/pretraining.yaml</c>).</summary>
    public string? Pretraining { get; set; }

    /// <summary>The evaluator's Job (<c>Jobs:Templates:Evaluation</c>; the chart mounts <c>/etc/semanticmim/jobs/evaluation.yaml</c>).</summary>
    public string? Evaluation { get; set; }

    /// <summary>The template path of <paramref name="kind"/> (one of <see cref="JobKinds.All"/>).</summary>
    public string? PathOf(string kind) => kind switch
    {
        JobKinds.Pretraining => Pretraining,
        JobKinds.Evaluation => Evaluation,
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
/// <c>Jobs__Launcher</c>, <c>Jobs__Namespace</c>, <c>Jobs__Templates__Pretraining</c>, <c>Jobs__Templates__Evaluation</c>,
/// optionally <c>Jobs__Api__*</c> and <c>Jobs__Watcher__*</c>).
/// </summary>
public sealed partial class KubernetesJobsOptions
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

    /// <summary>Binds the <c>Jobs</c> section (nothing is validated here; see <see cref="Validate"/>).</summary>
    public static KubernetesJobsOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.GetSection(SectionName).Get<KubernetesJobsOptions>() ?? new KubernetesJobsOptions();
    }

    /// <summary>
    /// Every problem of these options: the namespace (a DNS-1123 label), each template (set, readable, a
    /// <c>batch/v1</c> Job with at least one container, see <see cref="JobManifests.Load"/>), the API's retry settings
    /// and the watcher's backoff. Empty when the launcher can start.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Namespace))
        {
            problems.Add("Jobs:Namespace is not set: the namespace to create Jobs in (the chart sets Jobs__Namespace to the pod's namespace).");
        }
        else if (Namespace.Length > 63 || !DnsLabel().IsMatch(Namespace))
        {
            problems.Add($"Jobs:Namespace '{Namespace}' is not a namespace name (a DNS-1123 label).");
        }

        if (Templates is null)
        {
            problems.Add("Jobs:Templates is null.");
        }
        else
        {
            foreach (var kind in JobKinds.All)
            {
                var key = $"Jobs:Templates:{char.ToUpperInvariant(kind[0])}{kind[1..]}";
                var path = Templates.PathOf(kind);
                if (string.IsNullOrWhiteSpace(path))
                {
                    problems.Add($"{key} is not set: the path of the {kind} Job template (the chart mounts /etc/semanticmim/jobs/{kind}.yaml).");
                    continue;
                }

                try
                {
                    JobManifests.Load(path);
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    problems.Add($"{key} '{path}': {error.Message}");
                }
            }
        }

        if (Api is null)
        {
            problems.Add("Jobs:Api is null.");
        }
        else
        {
            problems.AddRange(Api.Validate());
        }

        if (Watcher is null)
        {
            problems.Add("Jobs:Watcher is null.");
        }
        else
        {
            if (Watcher.MinBackoff <= TimeSpan.Zero)
            {
                problems.Add($"Jobs:Watcher:MinBackoff {Format(Watcher.MinBackoff)} must be positive.");
            }

            if (Watcher.MaxBackoff < Watcher.MinBackoff)
            {
                problems.Add($"Jobs:Watcher:MaxBackoff {Format(Watcher.MaxBackoff)} must not be below MinBackoff.");
            }

            if (Watcher.WatchTimeoutSeconds is < 1 or > 3600)
            {
                problems.Add($"Jobs:Watcher:WatchTimeoutSeconds {Watcher.WatchTimeoutSeconds} must be between 1 and 3600.");
            }
        }

        return problems;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem, if there is any.</summary>
    public KubernetesJobsOptions EnsureValid()
    {
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("The Kubernetes job launcher's configuration (section Jobs) is invalid:" + Environment.NewLine +
                                        string.Join(Environment.NewLine, problems.Select(p => "  - " + p)));
        }

        return this;
    }

    static string Format(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();
}
