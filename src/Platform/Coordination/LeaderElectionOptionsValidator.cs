using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Jobs.Kubernetes;

namespace SemanticMIM.Platform.Coordination;

/// <summary>Every problem of <see cref="LeaderElectionOptions"/>, each naming its key; none when an elector can run.</summary>
public sealed class LeaderElectionOptionsValidator : OptionsValidator<LeaderElectionOptions>
{
    protected override IEnumerable<string> Problems(LeaderElectionOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.LeaseName))
        {
            yield return "LeaderElection:LeaseName is not set.";
        }
        else if (!KubernetesNames.IsObjectName(options.LeaseName))
        {
            yield return $"LeaderElection:LeaseName '{options.LeaseName}' is not a valid object name (a DNS-1123 subdomain).";
        }

        if (string.IsNullOrWhiteSpace(options.Namespace))
        {
            yield return "LeaderElection:Namespace is not set (and this is not a pod with a service account namespace).";
        }
        else if (!KubernetesNames.IsNamespace(options.Namespace))
        {
            yield return $"LeaderElection:Namespace '{options.Namespace}' is not a namespace name (a DNS-1123 label).";
        }

        if (string.IsNullOrWhiteSpace(options.Identity))
        {
            yield return "LeaderElection:Identity is empty.";
        }

        if (options.LeaseDuration < TimeSpan.FromSeconds(1) || options.LeaseDuration.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            yield return $"LeaderElection:LeaseDuration {Format(options.LeaseDuration)} must be a whole number of seconds, at least 1.";
        }

        if (options.RenewDeadline <= TimeSpan.Zero || options.RenewDeadline >= options.LeaseDuration)
        {
            yield return $"LeaderElection:RenewDeadline {Format(options.RenewDeadline)} must be positive and shorter than LeaseDuration {Format(options.LeaseDuration)}.";
        }

        if (options.RenewInterval <= TimeSpan.Zero || options.RenewInterval >= options.RenewDeadline)
        {
            yield return $"LeaderElection:RenewInterval {Format(options.RenewInterval)} must be positive and shorter than RenewDeadline {Format(options.RenewDeadline)}.";
        }

        if (options.RetryInterval <= TimeSpan.Zero)
        {
            yield return $"LeaderElection:RetryInterval {Format(options.RetryInterval)} must be positive.";
        }

        if (options.ApiTimeout <= TimeSpan.Zero)
        {
            yield return $"LeaderElection:ApiTimeout {Format(options.ApiTimeout)} must be positive.";
        }
    }
}
