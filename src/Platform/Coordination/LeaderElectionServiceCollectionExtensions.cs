using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Jobs.Kubernetes;

namespace SemanticMIM.Platform.Coordination;

public static class LeaderElectionServiceCollectionExtensions
{
    /// <summary>
    /// Elects a leader among the replicas through the Lease of the <c>LeaderElection</c> section
    /// (<see cref="LeaderElectionOptions"/>, bound as <see cref="IOptions{LeaderElectionOptions}"/>, given their defaults
    /// by <see cref="LeaderElectionOptions.ApplyDefaults"/> and checked by <see cref="LeaderElectionOptionsValidator"/>
    /// when the host starts): registers <see cref="LeaseLeaderElector"/> as the <see cref="ILeadership"/>
    /// (replacing <see cref="AlwaysLeader"/>, whichever was registered first) and runs it as a hosted service
    /// (<see cref="LeaderElectionService"/>). Register it before the services it gates, so that it stops after them and
    /// gives the Lease up last. The API client is the registered <c>k8s.IKubernetes</c>, or the in-cluster one
    /// (<see cref="KubernetesClients.CreateDefault"/>).
    /// </summary>
    public static IServiceCollection AddLeaseLeaderElection(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddValidatedOptions<LeaderElectionOptions, LeaderElectionOptionsValidator>(configuration, LeaderElectionOptions.SectionName,
            options => options.ApplyDefaults());
        services.TryAddSingleton(_ => KubernetesClients.CreateDefault());
        services.TryAddSingleton(provider => new LeaseLeaderElector(provider.GetRequiredService<k8s.IKubernetes>(),
            provider.GetRequiredService<IOptions<LeaderElectionOptions>>().Value, provider.GetService<ILogger<LeaseLeaderElector>>(),
            provider.GetService<TimeProvider>()));
        services.Replace(ServiceDescriptor.Singleton<ILeadership>(provider => provider.GetRequiredService<LeaseLeaderElector>()));
        services.AddHostedService<LeaderElectionService>();
        return services;
    }

    /// <summary>
    /// Runs <typeparamref name="TService"/> (a fresh instance per term, from the container) only while this process
    /// leads (<see cref="LeaderGatedHostedService"/>); with <see cref="AlwaysLeader"/>, from start to end.
    /// </summary>
    public static IServiceCollection AddLeaderGatedHostedService<TService>(this IServiceCollection services)
        where TService : class, IHostedService =>
        services.AddLeaderGatedHostedService(provider => ActivatorUtilities.CreateInstance<TService>(provider), typeof(TService).Name);

    /// <inheritdoc cref="AddLeaderGatedHostedService{TService}(IServiceCollection)"/>
    public static IServiceCollection AddLeaderGatedHostedService(this IServiceCollection services, Func<IServiceProvider, IHostedService> factory, string name)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        services.TryAddSingleton<ILeadership, AlwaysLeader>();
        services.AddSingleton<IHostedService>(provider => new LeaderGatedHostedService(provider.GetRequiredService<ILeadership>(), factory, provider,
            provider.GetRequiredService<ILogger<LeaderGatedHostedService>>(), name, provider.GetService<IHostApplicationLifetime>()));
        return services;
    }
}
