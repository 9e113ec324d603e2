using System.Globalization;
using k8s;
using k8s.Models;

namespace SemanticMIM.Platform.Jobs.Kubernetes;

/// <summary>The labels the launcher puts on every Job it creates and on its pods.</summary>
public static class JobLabels
{
    /// <summary><c>semanticmim</c> on everything of the platform; the watcher selects Jobs by it.</summary>
    public const string PartOf = "app.kubernetes.io/part-of";

    public const string PartOfValue = "semanticmim";

    /// <summary>The experiment's id (a GUID with dashes).</summary>
    public const string Experiment = "semanticmim.io/experiment";

    /// <summary>One of <see cref="JobKinds.All"/>.</summary>
    public const string Kind = "semanticmim.io/kind";

    /// <summary>Which evaluation of the spec (evaluation jobs only).</summary>
    public const string EvaluationIndex = "semanticmim.io/evaluation-index";

    /// <summary>Which part of the training shards, as <c>&lt;index&gt;-of-&lt;count&gt;</c> (tokens jobs only).</summary>
    public const string Part = "semanticmim.io/part";

    /// <summary>The selector of the Jobs the watcher follows.</summary>
    public const string Selector = PartOf + "=" + PartOfValue;
}

/// <summary>The environment variables a job's container reads its job from (the <c>Job</c> section, see <see cref="JobOptions"/>).</summary>
public static class JobEnvironment
{
    public const string Name = "Job__Name";

    public const string Kind = "Job__Kind";

    public const string ExperimentId = "Job__ExperimentId";

    public const string EvaluationIndex = "Job__EvaluationIndex";

    public const string Part = "Job__Part";

    public const string Parts = "Job__Parts";
}

/// <summary>Turns a chart's Job template and a <see cref="JobSpec"/> into the Job to create.</summary>
public static class JobManifests
{
    /// <summary>
    /// Reads the Job template at <paramref name="path"/> (YAML; <c>KubernetesYaml.Deserialize&lt;V1Job&gt;</c>).
    /// </summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidDataException">It is not a <c>batch/v1</c> Job with at least one container.</exception>
    public static V1Job Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"the Job template does not exist", path);
        }

        return Parse(File.ReadAllText(path));
    }

    /// <inheritdoc cref="Load"/>
    public static async Task<V1Job> LoadAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Parse(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Parses a Job template.</summary>
    /// <exception cref="InvalidDataException">It is not YAML of a <c>batch/v1</c> Job with at least one container.</exception>
    public static V1Job Parse(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        V1Job? job;
        try
        {
            job = KubernetesYaml.Deserialize<V1Job>(yaml);
        }
        catch (Exception error) when (error is YamlDotNet.Core.YamlException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException($"not a Kubernetes Job in YAML: {error.Message}", error);
        }

        var problems = new List<string>();
        if (job is null)
        {
            throw new InvalidDataException("the template is empty");
        }

        if (job.Kind is { } kind && kind != "Job")
        {
            problems.Add($"kind is '{kind}', not 'Job'");
        }

        if (job.ApiVersion is { } apiVersion && apiVersion != "batch/v1")
        {
            problems.Add($"apiVersion is '{apiVersion}', not 'batch/v1'");
        }

        if (job.Spec?.Template?.Spec?.Containers is not { Count: > 0 })
        {
            problems.Add("spec.template.spec.containers is empty");
        }

        if (problems.Count > 0)
        {
            throw new InvalidDataException("not a usable Job template: " + string.Join("; ", problems));
        }

        return job;
    }

    /// <summary>
    /// Makes <paramref name="template"/> (changed in place, and returned) the Job of <paramref name="job"/> in
    /// <paramref name="namespace"/>: its name is <see cref="JobSpec.Name"/>; the Job and its pod template get the
    /// labels of <see cref="JobLabels"/>; every container gets <c>Job__Name</c>, <c>Job__Kind</c>, <c>Job__ExperimentId</c>,
    /// <c>Job__EvaluationIndex</c> (evaluations), <c>Job__Part</c> and <c>Job__Parts</c> (tokens jobs) and then the spec's <see cref="JobSpec.Environment"/> (a variable the
    /// template already has is replaced in place). Nothing else of the template changes.
    /// </summary>
    public static V1Job Build(V1Job template, JobSpec job, string @namespace)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(job);
        ArgumentException.ThrowIfNullOrWhiteSpace(@namespace);

        template.ApiVersion ??= "batch/v1";
        template.Kind ??= "Job";
        var metadata = template.Metadata ??= new V1ObjectMeta();
        metadata.Name = job.Name;
        metadata.GenerateName = null;
        metadata.NamespaceProperty = @namespace;
        metadata.ResourceVersion = null;
        metadata.Uid = null;

        var labels = Labels(job);
        AddLabels(metadata, labels);
        var pod = template.Spec.Template;
        AddLabels(pod.Metadata ??= new V1ObjectMeta(), labels);

        var environment = new List<(string Name, string Value)>
        {
            (JobEnvironment.Name, job.Name),
            (JobEnvironment.Kind, job.Kind),
            (JobEnvironment.ExperimentId, job.ExperimentId.ToString("D")),
        };
        if (job.EvaluationIndex is { } index)
        {
            environment.Add((JobEnvironment.EvaluationIndex, index.ToString(CultureInfo.InvariantCulture)));
        }

        if (job.Part is { } part)
        {
            environment.Add((JobEnvironment.Part, part.Index.ToString(CultureInfo.InvariantCulture)));
            environment.Add((JobEnvironment.Parts, part.Count.ToString(CultureInfo.InvariantCulture)));
        }

        environment.AddRange(job.Environment.Select(pair => (pair.Key, pair.Value)));
        foreach (var container in pod.Spec.Containers)
        {
            var env = container.Env ??= new List<V1EnvVar>();
            foreach (var (name, value) in environment)
            {
                var existing = env.FirstOrDefault(v => v.Name == name);
                if (existing is null)
                {
                    env.Add(new V1EnvVar { Name = name, Value = value });
                }
                else
                {
                    existing.Value = value;
                    existing.ValueFrom = null;
                }
            }
        }

        return template;
    }

    /// <summary>The labels of <paramref name="job"/>'s Job and pods.</summary>
    public static IReadOnlyDictionary<string, string> Labels(JobSpec job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [JobLabels.PartOf] = JobLabels.PartOfValue,
            [JobLabels.Experiment] = job.ExperimentId.ToString("D"),
            [JobLabels.Kind] = job.Kind,
        };
        if (job.EvaluationIndex is { } index)
        {
            labels[JobLabels.EvaluationIndex] = index.ToString(CultureInfo.InvariantCulture);
        }

        if (job.Part is { } part)
        {
            labels[JobLabels.Part] = string.Create(CultureInfo.InvariantCulture, $"{part.Index}-of-{part.Count}");
        }

        return labels;
    }

    static void AddLabels(V1ObjectMeta metadata, IReadOnlyDictionary<string, string> labels)
    {
        var target = metadata.Labels ??= new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in labels)
        {
            target[key] = value;
        }
    }
}

/// <summary>Where a Kubernetes Job stands, from its status conditions.</summary>
public static class KubernetesJobStates
{
    /// <summary>
    /// <see cref="JobState.Succeeded"/> with a true <c>Complete</c> condition, <see cref="JobState.Failed"/> with a
    /// true <c>Failed</c> condition (with the condition's message, or its reason), otherwise
    /// <see cref="JobState.Queued"/> while <c>spec.suspend</c> is true (waiting for Kueue to admit it, or preempted by
    /// Kueue), otherwise <see cref="JobState.Running"/> (pending, running, or being retried after a pod failure) since its
    /// <c>status.startTime</c> when it has one.
    /// </summary>
    public static JobState Of(V1Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var conditions = job.Status?.Conditions ?? [];
        if (conditions.Any(c => c.Type == "Complete" && IsTrue(c)))
        {
            return JobState.Succeeded;
        }

        if (conditions.FirstOrDefault(c => c.Type == "Failed" && IsTrue(c)) is { } failed)
        {
            var message = !string.IsNullOrWhiteSpace(failed.Message) ? failed.Message
                : !string.IsNullOrWhiteSpace(failed.Reason) ? failed.Reason
                : "the Job failed";
            return JobState.Failed(message);
        }

        if (job.Spec?.Suspend == true)
        {
            return JobState.Queued;
        }

        return job.Status?.StartTime is { } start ? JobState.RunningFrom(AsUtc(start)) : JobState.Running;
    }

    // The client reads RFC 3339 times as UTC; a time without a kind is taken as UTC too, never as local time.
    static DateTimeOffset AsUtc(DateTime time) =>
        new(time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc));

    static bool IsTrue(V1JobCondition condition) => string.Equals(condition.Status, "True", StringComparison.OrdinalIgnoreCase);
}
