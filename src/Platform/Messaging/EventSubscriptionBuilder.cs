using MassTransit;

namespace SemanticMIM.Platform.Messaging;

/// <summary>Names the event types a <see cref="BusClient"/> subscription receives, each with its handler.</summary>
public sealed class EventSubscriptionBuilder
{
    internal EventSubscriptionBuilder()
    {
    }

    internal List<Action<IReceiveEndpointConfigurator, EventSubscription>> Registrations { get; } = [];

    /// <summary>Calls <paramref name="handler"/> for every <typeparamref name="T"/> published while the subscription lives.</summary>
    public EventSubscriptionBuilder On<T>(Func<T, Task> handler)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(handler);
        Registrations.Add((endpoint, subscription) =>
            endpoint.Handler<T>(context => subscription.InvokeAsync(handler, context.Message)));
        return this;
    }

    /// <inheritdoc cref="On{T}(Func{T, Task})"/>
    public EventSubscriptionBuilder On<T>(Action<T> handler)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(handler);
        return On<T>(message =>
        {
            handler(message);
            return Task.CompletedTask;
        });
    }
}
