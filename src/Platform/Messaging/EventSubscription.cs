using MassTransit;

namespace SemanticMIM.Platform.Messaging;

/// <summary>
/// Events received on a <see cref="BusClient"/> subscription's queue while this is alive; dispose it to stop (the
/// broker deletes the queue after <see cref="BusClient.SubscriptionQueueExpiry"/>).
/// </summary>
public sealed class EventSubscription : IAsyncDisposable
{
    readonly Lock _lock = new();
    HostReceiveEndpointHandle? _handle;
    Exception? _firstError;

    internal EventSubscription(string queue) => Queue = queue;

    /// <summary>The broker queue the events arrive on.</summary>
    public string Queue { get; }

    /// <summary>
    /// The first exception a handler threw, if any. Handler exceptions are kept here rather than thrown, so that a
    /// client's bug neither redelivers events nor leaves an error queue behind on the broker.
    /// </summary>
    public Exception? FirstError
    {
        get
        {
            lock (_lock)
            {
                return _firstError;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        var handle = Interlocked.Exchange(ref _handle, null);
        if (handle is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await handle.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The bus is already gone; the broker deletes the queue once it has been unused for its expiry.
            }
        }
    }

    internal void Attach(HostReceiveEndpointHandle handle) => _handle = handle;

    internal async Task InvokeAsync<T>(Func<T, Task> handler, T message)
    {
        try
        {
            await handler(message).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            lock (_lock)
            {
                _firstError ??= ex;
            }
        }
    }
}
