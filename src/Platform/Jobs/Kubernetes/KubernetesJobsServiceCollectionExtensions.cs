using k8s;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SemanticMIM.Platform.Coordination;
using SemanticMIM.Platform.Hosting;

namespace SemanticMIM.Platform.Jobs.Kubernetes;

/// <summary>The Kubernetes API client the platform uses when none is registered.</summary>
public static class KubernetesClients
{
    /// <summary>
    /// In a pod: its service account (<c>InClusterConfig</c>); elsewhere: the current context of the kubeconfig named by
    /// <c>KUBECONFIG</c>, or of <c>~/.kube/config</c> (<c>BuildDefaultConfig</c>; <c>BuildConfigFromConfigFile</c> would
    /// ignore <c>KUBECONFIG</c>).
    /// </summary>
    public static IKubernetes CreateDefault() => new k8s.Kubernetes(KubernetesClientConfiguration.IsInCluster()
        ? KubernetesClientConfiguration.InClusterConfig()
        : KubernetesClientConfiguration.BuildDefaultConfig());
}

public static class KubernetesJobsServiceCollectionExtensions
{
    /// <summary>
    /// Launches jobs as Kubernetes Jobs (configuration section <c>Jobs</c>, see <see cref="KubernetesJobsOptions"/>, bound as
    /// <see cref="IOptions{KubernetesJobsOptions}"/> and checked by <see cref="KubernetesJobsOptionsValidator"/>, templates
    /// included, when the host starts): registers <see cref="KubernetesJobLauncher"/> as the <see cref="IJobLauncher"/>,
    /// <see cref="KubernetesJobWatcher"/> as a hosted service (it runs while this process leads, see <see cref="ILeadership"/>),
    /// and <see cref="NoOpJobEndListener"/> unless an <see cref="IJobEndListener"/> is registered. The API client is the
    /// registered <c>k8s.IKubernetes</c>, or <see cref="KubernetesClients.CreateDefault"/>.
    /// </summary>
    public static IServiceCollection AddKubernetesJobs(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddValidatedOptions<KubernetesJobsOptions, KubernetesJobsOptionsValidator>(configuration, KubernetesJobsOptions.SectionName);
        services.TryAddSingleton(_ => KubernetesClients.CreateDefault());
        services.TryAddSingleton<ILeadership, AlwaysLeader>();
        services.TryAddSingleton<IJobEndListener, NoOpJobEndListener>();
        services.TryAddSingleton(provider => new KubernetesJobLauncher(provider.GetRequiredService<IKubernetes>(), JobsOptions(provider),
            provider.GetService<ILogger<KubernetesJobLauncher>>()));
        services.TryAddSingleton<IJobLauncher>(provider => provider.GetRequiredService<KubernetesJobLauncher>());
        services.TryAddSingleton(provider => new KubernetesJobWatcher(provider.GetRequiredService<IKubernetes>(), JobsOptions(provider),
            provider.GetRequiredService<IJobEndListener>(), provider.GetService<ILogger<KubernetesJobWatcher>>(), provider.GetRequiredService<ILeadership>()));
        services.AddHostedService(provider => provider.GetRequiredService<KubernetesJobWatcher>());
        return services;
    }

    static KubernetesJobsOptions JobsOptions(IServiceProvider provider) => provider.GetRequiredService<IOptions<KubernetesJobsOptions>>().Value;
}
