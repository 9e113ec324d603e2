using SemanticMIM.Platform.Hosting;

namespace SemanticMIM.Platform.Jobs.Kubernetes;

/// <summary>
/// Every problem of <see cref="KubernetesJobsOptions"/>: the namespace (a DNS-1123 label), each template (set,
/// readable, a <c>batch/v1</c> Job with at least one container, see <see cref="JobManifests.Load"/>), the API's retry
/// settings (<see cref="KubernetesApiResilienceOptionsValidator"/>) and the watcher's backoff. None when the launcher
/// can start.
/// </summary>
public sealed class KubernetesJobsOptionsValidator : OptionsValidator<KubernetesJobsOptions>
{
    static readonly KubernetesApiResilienceOptionsValidator Api = new();

    protected override IEnumerable<string> Problems(KubernetesJobsOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Namespace))
        {
            yield return "Jobs:Namespace is not set: the namespace to create Jobs in (the chart sets Jobs__Namespace to the pod's namespace).";
        }
        else if (!KubernetesNames.IsNamespace(options.Namespace))
        {
            yield return $"Jobs:Namespace '{options.Namespace}' is not a namespace name (a DNS-1123 label).";
        }

        if (options.Templates is null)
        {
            yield return "Jobs:Templates is null.";
        }
        else
        {
            foreach (var kind in KubernetesJobTemplates.OwnTemplates)
            {
                if (TemplateProblem(kind, options.Templates.PathOf(kind)) is { } problem)
                {
                    yield return problem;
                }
            }

            if (!string.IsNullOrWhiteSpace(options.Templates.Tokens) && TemplateProblem(JobKinds.Tokens, options.Templates.Tokens) is { } tokens)
            {
                yield return tokens;
            }
        }

        if (options.Api is null)
        {
            yield return "Jobs:Api is null.";
        }
        else
        {
            foreach (var problem in Api.ProblemsOf(options.Api))
            {
                yield return problem;
            }
        }

        if (options.Watcher is null)
        {
            yield return "Jobs:Watcher is null.";
        }
        else
        {
            if (options.Watcher.MinBackoff <= TimeSpan.Zero)
            {
                yield return $"Jobs:Watcher:MinBackoff {Format(options.Watcher.MinBackoff)} must be positive.";
            }

            if (options.Watcher.MaxBackoff < options.Watcher.MinBackoff)
            {
                yield return $"Jobs:Watcher:MaxBackoff {Format(options.Watcher.MaxBackoff)} must not be below MinBackoff.";
            }

            if (options.Watcher.WatchTimeoutSeconds is < 1 or > 3600)
            {
                yield return $"Jobs:Watcher:WatchTimeoutSeconds {options.Watcher.WatchTimeoutSeconds} must be between 1 and 3600.";
            }
        }
    }

    static string? TemplateProblem(string kind, string? path)
    {
        var key = $"Jobs:Templates:{char.ToUpperInvariant(kind[0])}{kind[1..]}";
        if (string.IsNullOrWhiteSpace(path))
        {
            return $"{key} is not set: the path of the {kind} Job template (the chart mounts /etc/semanticmim/jobs/{kind}.yaml).";
        }

        try
        {
            JobManifests.Load(path);
            return null;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return $"{key} '{path}': {error.Message}";
        }
    }
}
