using Microsoft.Extensions.Configuration;

namespace SemanticMIM.Platform.Coordination;

/// <summary>
/// Leader election through a <c>coordination.k8s.io/v1</c> Lease, bound from the section <c>LeaderElection</c>
/// (environment variables <c>LeaderElection__LeaseName</c>, <c>LeaderElection__Namespace</c>,
/// <c>LeaderElection__Identity</c>, which the chart sets) and checked by <see cref="LeaderElectionOptionsValidator"/>.
/// The timings follow client-go's defaults; durations are <c>hh:mm:ss[.fff]</c>.
/// </summary>
public sealed class LeaderElectionOptions
{
    public const string SectionName = "LeaderElection";

    /// <summary>Where the pod's namespace is mounted in a Kubernetes pod with a service account token.</summary>
    public const string ServiceAccountNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

    /// <summary>The Lease's name; leader election is on when it is set.</summary>
    public string? LeaseName { get; set; }

    /// <summary>The Lease's namespace (when not set: the pod's, read from <see cref="ServiceAccountNamespaceFile"/>).</summary>
    public string? Namespace { get; set; }

    /// <summary>This replica's name in the Lease (<c>holderIdentity</c>); by default the host name, which is the pod's name.</summary>
    public string? Identity { get; set; }

    /// <summary>How long a Lease that is not renewed keeps others from taking it (<c>leaseDurationSeconds</c>, whole seconds).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long the leader keeps leading without a successful renewal: it stops (and its work stops) this long after the
    /// last renewal it sent, before the Lease can expire for the others. Shorter than <see cref="LeaseDuration"/>.
    /// </summary>
    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the leader renews the Lease.</summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a replica that does not lead tries to acquire the Lease (jittered by up to 20 %).</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one call to the API may take.</summary>
    public TimeSpan ApiTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>When the host stops, the leader gives the Lease up (empty holder) so that another replica takes it at once.</summary>
    public bool ReleaseOnStop { get; set; } = true;

    /// <summary>True when <c>LeaderElection:LeaseName</c> is set.</summary>
    public static bool IsEnabled(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(configuration[$"{SectionName}:{nameof(LeaseName)}"]);
    }

    /// <summary>
    /// Fills in what the configuration left out: <see cref="Identity"/> from the host name, <see cref="Namespace"/>
    /// from the service account's namespace file when it exists.
    /// </summary>
    public void ApplyDefaults()
    {
        if (string.IsNullOrWhiteSpace(Identity))
        {
            Identity = Environment.MachineName;
        }

        if (string.IsNullOrWhiteSpace(Namespace) && File.Exists(ServiceAccountNamespaceFile))
        {
            Namespace = File.ReadAllText(ServiceAccountNamespaceFile).Trim();
        }
    }
}
