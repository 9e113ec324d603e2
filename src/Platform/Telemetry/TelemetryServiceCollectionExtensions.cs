using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SemanticMIM.Platform.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>Registers <see cref="SemanticMimMetrics"/> as a singleton over the host's <see cref="System.Diagnostics.Metrics.IMeterFactory"/>.</summary>
    public static IServiceCollection AddSemanticMimMetrics(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddMetrics();
        services.TryAddSingleton(provider => new SemanticMimMetrics(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        return services;
    }
}
