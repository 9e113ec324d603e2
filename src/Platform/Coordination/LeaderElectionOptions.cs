using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace SemanticMIM.Platform.Coordination;

/// <summary>
/// Leader election through a <c>coordination.k8s.io/v1</c> Lease, bound from the section <c>LeaderElection</c>
/// (environment variables <c>LeaderElection__LeaseName</c>, <c>LeaderElection__Namespace</c>,
/// <c>LeaderElection__Identity</c>, which the chart sets). The timings follow client-go's defaults.
/// </summary>
public sealed partial class LeaderElectionOptions
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
    /// Binds the <c>LeaderElection</c> section and fills in the defaults: <see cref="Identity"/> from the host name,
    /// <see cref="Namespace"/> from the service account's namespace file when it exists. Nothing is validated here.
    /// </summary>
    public static LeaderElectionOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(SectionName).Get<LeaderElectionOptions>() ?? new LeaderElectionOptions();
        if (string.IsNullOrWhiteSpace(options.Identity))
        {
            options.Identity = Environment.MachineName;
        }

        if (string.IsNullOrWhiteSpace(options.Namespace) && File.Exists(ServiceAccountNamespaceFile))
        {
            options.Namespace = File.ReadAllText(ServiceAccountNamespaceFile).Trim();
        }

        return options;
    }

    /// <summary>Every problem of these options, each naming its setting; empty when an elector can run.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(LeaseName))
        {
            problems.Add("LeaderElection:LeaseName is not set.");
        }
        else if (LeaseName.Length > 253 || !DnsSubdomain().IsMatch(LeaseName))
        {
            problems.Add($"LeaderElection:LeaseName '{LeaseName}' is not a valid object name (a DNS-1123 subdomain).");
        }

        if (string.IsNullOrWhiteSpace(Namespace))
        {
            problems.Add("LeaderElection:Namespace is not set (and this is not a pod with a service account namespace).");
        }
        else if (Namespace.Length > 63 || !DnsLabel().IsMatch(Namespace))
        {
            problems.Add($"LeaderElection:Namespace '{Namespace}' is not a namespace name (a DNS-1123 label).");
        }

        if (string.IsNullOrWhiteSpace(Identity))
        {
            problems.Add("LeaderElection:Identity is empty.");
        }

        if (LeaseDuration < TimeSpan.FromSeconds(1) || LeaseDuration.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            problems.Add($"LeaderElection:LeaseDuration {Format(LeaseDuration)} must be a whole number of seconds, at least 1.");
        }

        if (RenewDeadline <= TimeSpan.Zero || RenewDeadline >= LeaseDuration)
        {
            problems.Add($"LeaderElection:RenewDeadline {Format(RenewDeadline)} must be positive and shorter than LeaseDuration {Format(LeaseDuration)}.");
        }

        if (RenewInterval <= TimeSpan.Zero || RenewInterval >= RenewDeadline)
        {
            problems.Add($"LeaderElection:RenewInterval {Format(RenewInterval)} must be positive and shorter than RenewDeadline {Format(RenewDeadline)}.");
        }

        if (RetryInterval <= TimeSpan.Zero)
        {
            problems.Add($"LeaderElection:RetryInterval {Format(RetryInterval)} must be positive.");
        }

        if (ApiTimeout <= TimeSpan.Zero)
        {
            problems.Add($"LeaderElection:ApiTimeout {Format(ApiTimeout)} must be positive.");
        }

        return problems;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem, if there is any.</summary>
    public LeaderElectionOptions EnsureValid()
    {
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("The leader election's configuration (section LeaderElection) is invalid:" + Environment.NewLine +
                                        string.Join(Environment.NewLine, problems.Select(p => "  - " + p)));
        }

        return this;
    }

    static string Format(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsSubdomain();
}
