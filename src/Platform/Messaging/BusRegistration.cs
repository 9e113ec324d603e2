using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Telemetry;

namespace SemanticMIM.Platform.Messaging;

/// <summary>Joins a host to the SemanticMIM message bus (RabbitMQ in the cluster, in memory when embedded).</summary>
public static class BusRegistration
{
    /// <summary>
    /// Configures MassTransit from the <c>Bus</c> configuration section (see <see cref="BusOptions"/>): the chosen
    /// transport, kebab-case endpoint names, the SemanticMIM JSON rules (<see cref="MessageSerialization"/>), one
    /// receive endpoint per registered consumer (<c>ConfigureEndpoints</c>), and a host that does not report
    /// itself started before the bus is (so no message is published before its bindings exist). The section is
    /// bound as <see cref="IOptions{BusOptions}"/> and checked by <see cref="BusOptionsValidator"/> when the host
    /// starts: an invalid section stops it with an <see cref="OptionsValidationException"/> listing every problem,
    /// a value that cannot be converted with the binder's exception naming its key.
    /// </summary>
    /// <param name="registerConsumers">Registers the consumers (one definition per consumer), e.g.
    /// <c>x =&gt; x.AddConsumer&lt;ShardDatasetConsumer, ShardDatasetConsumerDefinition&gt;()</c>. It runs after the
    /// defaults, so it may also override them (another endpoint name formatter, for example).</param>
    public static IServiceCollection AddSemanticMimBus(this IServiceCollection services, IConfiguration configuration,
        Action<IBusRegistrationConfigurator> registerConsumers)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(registerConsumers);
        services.AddValidatedOptions<BusOptions, BusOptionsValidator>(configuration, BusOptions.SectionName, options => options.ApplyDefaults());
        return services.AddBus(BusOptions.ChoosesRabbitMq(configuration), registerConsumers);
    }

    /// <summary>
    /// As <see cref="AddSemanticMimBus(IServiceCollection, IConfiguration, Action{IBusRegistrationConfigurator})"/>
    /// with options given in code (the embedded one-process run): <paramref name="options"/> get their defaults
    /// (<see cref="BusOptions.ApplyDefaults"/>) and are checked at once.
    /// </summary>
    /// <exception cref="OptionsValidationException">The options are invalid; every problem is listed.</exception>
    public static IServiceCollection AddSemanticMimBus(this IServiceCollection services, BusOptions options,
        Action<IBusRegistrationConfigurator> registerConsumers)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(registerConsumers);
        options.ApplyDefaults();
        new BusOptionsValidator().EnsureValid(options);
        services.AddSingleton(Options.Create(options));
        return services.AddBus(options.UsesRabbitMq, registerConsumers);
    }

    /// <summary>
    /// A consumer's queue as <see cref="BusOptions.QueueType"/> says: a quorum queue counts deliveries, and after
    /// <see cref="BusOptions.DeliveryLimit"/> the broker dead-letters the message into the queue's error queue
    /// (<c>&lt;queue&gt;_error</c>), declared with the endpoint so that the first dead letter has somewhere to go, and
    /// with the arguments MassTransit gives an error queue (the endpoint queue's), so that its own moves to it agree.
    /// </summary>
    public static void ConfigureQueue(IRabbitMqReceiveEndpointConfigurator endpoint, string queue, BusOptions options)
    {
        if (options.QueueType != BusOptions.QuorumQueues)
        {
            return;
        }
        var arguments = QuorumArguments(queue, options);
        foreach (var (key, value) in arguments)
        {
            endpoint.SetQueueArgument(key, value);
        }
        endpoint.BindDeadLetterQueue(ErrorQueue(queue), ErrorQueue(queue), deadLetters =>
        {
            foreach (var (key, value) in arguments)
            {
                deadLetters.SetQueueArgument(key, value);
            }
        });
    }

    /// <summary>The arguments of a quorum consumer queue and of its error queue.</summary>
    public static IReadOnlyDictionary<string, object> QuorumArguments(string queue, BusOptions options) => new Dictionary<string, object>
    {
        ["x-queue-type"] = BusOptions.QuorumQueues,
        ["x-delivery-limit"] = options.DeliveryLimit,
        ["x-dead-letter-exchange"] = ErrorQueue(queue),
    };

    /// <summary>MassTransit's error queue (and exchange) of a queue.</summary>
    public static string ErrorQueue(string queue) => $"{queue}_error";

    static IServiceCollection AddBus(this IServiceCollection services, bool rabbitMq, Action<IBusRegistrationConfigurator> registerConsumers)
    {
        MassTransitInstrumentation.ConfigureProcessWide();
        services.AddOptions<MassTransitHostOptions>().Configure<IOptions<BusOptions>>((host, bus) =>
        {
            host.WaitUntilStarted = true;
            host.StartTimeout = bus.Value.StartTimeout;
            host.StopTimeout ??= TimeSpan.FromSeconds(30);
        });

        services.AddMassTransit(x =>
        {
            // MassTransit 8.3+ would otherwise report usage to its vendor over HTTP.
            x.DisableUsageTelemetry();
            x.SetKebabCaseEndpointNameFormatter();
            x.AddConfigureEndpointsCallback((context, name, endpoint) =>
            {
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbitMq)
                {
                    ConfigureQueue(rabbitMq, name, context.GetRequiredService<IOptions<BusOptions>>().Value);
                }
            });
            registerConsumers(x);

            if (rabbitMq)
            {
                x.UsingRabbitMq((context, cfg) =>
                {
                    var options = context.GetRequiredService<IOptions<BusOptions>>().Value;
                    cfg.Host(new Uri(options.RabbitMq!, UriKind.Absolute), host => host.ConnectionName(AppDomain.CurrentDomain.FriendlyName));
                    cfg.PrefetchCount = options.Prefetch;
                    cfg.UseSemanticMimJson();
                    cfg.ConfigureEndpoints(context);
                });
            }
            else
            {
                x.UsingInMemory((context, cfg) =>
                {
                    cfg.PrefetchCount = context.GetRequiredService<IOptions<BusOptions>>().Value.Prefetch;
                    cfg.UseSemanticMimJson();
                    cfg.ConfigureEndpoints(context);
                });
            }
        });

        return services;
    }
}
