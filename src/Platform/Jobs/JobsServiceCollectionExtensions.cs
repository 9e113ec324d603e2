using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SemanticMIM.Platform.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="InProcessJobLauncher"/> as the <see cref="IJobLauncher"/> and as a hosted service (so that
    /// host shutdown cancels running jobs). The work itself comes from a registered <see cref="IJobRunner"/>.
    /// </summary>
    public static IServiceCollection AddInProcessJobLauncher(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<InProcessJobLauncher>();
        services.TryAddSingleton<IJobLauncher>(provider => provider.GetRequiredService<InProcessJobLauncher>());
        services.AddHostedService(provider => provider.GetRequiredService<InProcessJobLauncher>());
        return services;
    }

    /// <summary>Registers the launcher and <typeparamref name="TRunner"/> (scoped: one per job run) as its <see cref="IJobRunner"/>.</summary>
    public static IServiceCollection AddInProcessJobLauncher<TRunner>(this IServiceCollection services)
        where TRunner : class, IJobRunner
    {
        services.AddInProcessJobLauncher();
        services.TryAddScoped<IJobRunner, TRunner>();
        return services;
    }
}
