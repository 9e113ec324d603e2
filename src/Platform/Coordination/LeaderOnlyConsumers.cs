using MassTransit;
using MassTransit.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SemanticMIM.Platform.Coordination;

/// <summary>The consumers registered through <see cref="LeaderOnlyConsumerExtensions.AddLeaderOnlyConsumers"/>.</summary>
public sealed record LeaderOnlyConsumerSet(IReadOnlyList<Type> ConsumerTypes);

/// <summary>
/// Consumers whose receive endpoints exist only while this process leads (<see cref="ILeadership"/>).
/// </summary>
/// <remarks>
/// Why this way, with MassTransit 8.5: the bus itself keeps running on every replica (so a standby is ready, its
/// health checks pass, a rolling update can proceed, and it can publish), and only the leader-only consumers are
/// taken out of <c>ConfigureEndpoints</c> (their registrations' <c>IncludeInConfigureEndpoints</c> is turned off,
/// which is what <c>ExcludeFromConfigureEndpoints()</c> does). While leading, <see cref="LeaderOnlyReceiveEndpoints"/>
/// connects their endpoints through <see cref="IReceiveEndpointConnector"/> with the same definitions (endpoint name,
/// concurrency, retry, the bus's endpoint callbacks) that <c>ConfigureEndpoints</c> would use; when the term ends it
/// stops them (a stopped endpoint is removed from the bus, so it can be connected again in a later term). Messages
/// wait in their durable queues meanwhile. Stopping the whole bus instead would make standbys unready forever
/// (the bus health check is part of readiness), and <c>AutoStart = false</c> only defers an endpoint's transport
/// until a consumer connects, which cannot be reverted.
/// </remarks>
public static class LeaderOnlyConsumerExtensions
{
    /// <summary>
    /// Registers the consumers that <paramref name="register"/> adds (e.g. <c>b =&gt; b.AddConsumer&lt;ExperimentOrchestrator, ExperimentOrchestratorDefinition&gt;()</c>)
    /// so that their receive endpoints are connected only while this process leads. A consumer that was registered
    /// before this call is not affected. Uses the registered <see cref="ILeadership"/> (<see cref="AlwaysLeader"/> when
    /// none is).
    /// </summary>
    public static IBusRegistrationConfigurator AddLeaderOnlyConsumers(this IBusRegistrationConfigurator bus, Action<IBusRegistrationConfigurator> register)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(register);

        // MassTransit keeps each consumer's registration as an instance in the service collection (as its own
        // registrar reads them back); the ones that appear during register() are ours.
        var before = ConsumerRegistrations(bus).ToHashSet(ReferenceEqualityComparer.Instance);
        register(bus);
        var added = ConsumerRegistrations(bus).Where(r => !before.Contains(r)).ToList();
        foreach (var registration in added)
        {
            registration.IncludeInConfigureEndpoints = false;
        }

        bus.AddSingleton(new LeaderOnlyConsumerSet(added.Select(r => r.Type).ToArray()));
        bus.TryAddSingleton<ILeadership, AlwaysLeader>();
        bus.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LeaderOnlyReceiveEndpoints>());
        return bus;
    }

    static IEnumerable<IConsumerRegistration> ConsumerRegistrations(IServiceCollection services) =>
        services.Where(d => d.ServiceType == typeof(IConsumerRegistration) && !d.IsKeyedService)
            .Select(d => d.ImplementationInstance)
            .OfType<IConsumerRegistration>();
}

/// <summary>
/// Connects the receive endpoints of the leader-only consumers (<see cref="LeaderOnlyConsumerExtensions.AddLeaderOnlyConsumers"/>)
/// at the start of each term of leadership, once the host (and so the bus) has started, and stops them when the term
/// ends or the host stops. Consumers that share an endpoint name share one endpoint, as with <c>ConfigureEndpoints</c>.
/// </summary>
public sealed partial class LeaderOnlyReceiveEndpoints(
    IServiceProvider services,
    IEnumerable<LeaderOnlyConsumerSet> consumerSets,
    ILeadership leadership,
    IHostApplicationLifetime lifetime,
    ILogger<LeaderOnlyReceiveEndpoints> logger) : BackgroundService
{
    /// <summary>How many times the endpoints were connected (one per term of leadership).</summary>
    public int Terms { get; private set; }

    /// <summary>True while the endpoints are connected.</summary>
    public bool Connected { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var consumerTypes = consumerSets.SelectMany(s => s.ConsumerTypes).Distinct().ToHashSet();
        if (consumerTypes.Count == 0)
        {
            return;
        }

        try
        {
            await HostStarted.WaitAsync(lifetime, stoppingToken).ConfigureAwait(false);
            var context = services.GetRequiredService<IBusRegistrationContext>();
            var connector = services.GetRequiredService<IReceiveEndpointConnector>();
            var formatter = context.EndpointNameFormatter;
            var endpoints = services.GetServices<IConsumerRegistration>()
                .Where(r => consumerTypes.Contains(r.Type))
                .Select(r => r.GetDefinition(context))
                .GroupBy(d => d.GetEndpointName(formatter))
                .Select(g => (Name: g.Key,
                    Definition: (IEndpointDefinition)new RegistrationContextEndpointDefinition(
                        g.Select(d => (IEndpointDefinition)new DelegateEndpointDefinition(g.Key, d, d.EndpointDefinition)).Combine(context), context),
                    Consumers: g.Select(d => d.ConsumerType).ToArray()))
                .ToList();

            while (!stoppingToken.IsCancellationRequested)
            {
                var term = await leadership.WaitForLeadershipAsync(stoppingToken).ConfigureAwait(false);
                if (term.IsCancellationRequested)
                {
                    await Task.Yield(); // a term that ended as it began
                    continue;
                }

                var handles = new List<HostReceiveEndpointHandle>();
                try
                {
                    foreach (var (name, definition, consumers) in endpoints)
                    {
                        handles.Add(connector.ConnectReceiveEndpoint(definition, formatter, (registration, endpoint) =>
                        {
                            foreach (var consumer in consumers)
                            {
                                endpoint.ConfigureConsumer(registration, consumer);
                            }
                        }));
                        LogConnected(name, consumers.Length);
                    }

                    await Task.WhenAll(handles.Select(h => h.Ready)).WaitAsync(stoppingToken).ConfigureAwait(false);
                    Terms++;
                    Connected = true;
                    await HostStarted.UntilCancelledAsync(term, stoppingToken).ConfigureAwait(false);
                }
                finally
                {
                    Connected = false;
                    LogDisconnecting(handles.Count, stoppingToken.IsCancellationRequested ? "the host is stopping" : "this replica no longer leads");
                    foreach (var handle in handles)
                    {
                        try
                        {
                            // Waits for the messages being consumed; the next leader takes the rest from the queue.
                            await handle.StopAsync(CancellationToken.None).ConfigureAwait(false);
                        }
                        catch (Exception error)
                        {
                            LogStopFailed(error);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Leading: connected receive endpoint {Endpoint} ({Count} consumer(s))")]
    partial void LogConnected(string endpoint, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Disconnecting {Count} leader-only receive endpoint(s): {Reason}")]
    partial void LogDisconnecting(int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A leader-only receive endpoint did not stop cleanly")]
    partial void LogStopFailed(Exception exception);
}
