using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SemanticMIM.Platform.Telemetry;

namespace SemanticMIM.Platform.Messaging;

/// <summary>Joins a host to the SemanticMIM message bus (RabbitMQ in the cluster, in memory when embedded).</summary>
public static class BusRegistration
{
    /// <summary>
    /// Configures MassTransit from the <c>Bus</c> configuration section (see <see cref="BusOptions"/>): the chosen
    /// transport, kebab-case endpoint names, the SemanticMIM JSON rules (<see cref="MessageSerialization"/>), one
    /// receive endpoint per registered consumer (<c>ConfigureEndpoints</c>), and a host that does not report
    /// itself started before the bus is (so no message is published before its bindings exist).
    /// </summary>
    /// <param name="registerConsumers">Registers the consumers (one definition per consumer), e.g.
    /// <c>x =&gt; x.AddConsumer&lt;ShardDatasetConsumer, ShardDatasetConsumerDefinition&gt;()</c>. It runs after the
    /// defaults, so it may also override them (another endpoint name formatter, for example).</param>
    /// <exception cref="BusConfigurationException">The configuration is invalid; every problem is listed.</exception>
    public static IServiceCollection AddSemanticMimBus(this IServiceCollection services, IConfiguration configuration,
        Action<IBusRegistrationConfigurator> registerConsumers)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddSemanticMimBus(BusOptions.FromConfiguration(configuration), registerConsumers);
    }

    /// <inheritdoc cref="AddSemanticMimBus(IServiceCollection, IConfiguration, Action{IBusRegistrationConfigurator})"/>
    public static IServiceCollection AddSemanticMimBus(this IServiceCollection services, BusOptions options,
        Action<IBusRegistrationConfigurator> registerConsumers)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(registerConsumers);
        options.EnsureValid();

        MassTransitInstrumentation.ConfigureProcessWide();
        services.AddSingleton(options);
        services.AddOptions<MassTransitHostOptions>().Configure(host =>
        {
            host.WaitUntilStarted = true;
            host.StartTimeout = options.StartTimeout;
            host.StopTimeout ??= TimeSpan.FromSeconds(30);
        });

        services.AddMassTransit(x =>
        {
            // MassTransit 8.3+ would otherwise report usage to its vendor over HTTP.
            x.DisableUsageTelemetry();
            x.SetKebabCaseEndpointNameFormatter();
            registerConsumers(x);

            if (options.UsesRabbitMq)
            {
                x.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(options.RabbitMq!, host => host.ConnectionName(AppDomain.CurrentDomain.FriendlyName));
                    cfg.PrefetchCount = options.Prefetch;
                    cfg.UseSemanticMimJson();
                    cfg.ConfigureEndpoints(context);
                });
            }
            else
            {
                x.UsingInMemory((context, cfg) =>
                {
                    cfg.PrefetchCount = options.Prefetch;
                    cfg.UseSemanticMimJson();
                    cfg.ConfigureEndpoints(context);
                });
            }
        });

        return services;
    }
}
