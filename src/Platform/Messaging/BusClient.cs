using MassTransit;

namespace SemanticMIM.Platform.Messaging;

/// <summary>
/// A short-lived connection to the SemanticMIM bus for a command-line tool (<c>semanticmim submit --broker amqp://…</c>):
/// publish commands, watch events, ask a question and wait for its answer. It hosts no consumer endpoint of its own
/// beyond MassTransit's temporary response queue and its subscriptions' queues, which the broker deletes when the
/// client goes away (a subscription's after <see cref="SubscriptionQueueExpiry"/>).
/// </summary>
/// <example>
/// <code>
/// await using var client = await BusClient.CreateAsync(new Uri("amqp://guest:guest@127.0.0.1:5672/"));
/// await using var events = await client.SubscribeAsync(s => s
///     .On&lt;ExperimentAccepted&gt;(e => Console.WriteLine($"accepted as {e.Name}"))
///     .On&lt;ExperimentFailed&gt;(e => Console.WriteLine($"failed: {e.Reason}")));
/// await client.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = yaml });
/// var status = await client.RequestAsync&lt;GetExperimentStatus, ExperimentStatus&gt;(new() { ExperimentId = id });
/// </code>
/// </example>
public sealed class BusClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(30);

    readonly IBusControl _bus;
    bool _disposed;

    BusClient(IBusControl bus, string broker)
    {
        _bus = bus;
        Broker = broker;
    }

    /// <summary>The broker, with its password hidden.</summary>
    public string Broker { get; }

    /// <summary>Connects to <paramref name="broker"/> (an AMQP URI); fails with a clear message when it cannot within <paramref name="connectTimeout"/>.</summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The URI cannot name a RabbitMQ broker.</exception>
    /// <exception cref="BusConnectionException">The broker could not be reached in time.</exception>
    public static Task<BusClient> CreateAsync(Uri broker, CancellationToken cancellationToken = default) =>
        CreateAsync(broker, DefaultConnectTimeout, cancellationToken);

    /// <inheritdoc cref="CreateAsync(Uri, CancellationToken)"/>
    public static async Task<BusClient> CreateAsync(Uri broker, TimeSpan connectTimeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(broker);
        new BusOptionsValidator().EnsureValid(new BusOptions { Transport = BusOptions.RabbitMqTransport, RabbitMq = broker.OriginalString });
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(connectTimeout, TimeSpan.Zero);

        await ProbeAsync(broker, connectTimeout, cancellationToken).ConfigureAwait(false);

        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(broker, host => host.ConnectionName("semanticmim-client"));
            cfg.UseSemanticMimJson();
        });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(connectTimeout);
        try
        {
            await bus.StartAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await StopQuietlyAsync(bus).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            var reason = ex is OperationCanceledException
                ? "the broker accepted the TCP connection but the bus did not start in time (are the credentials and virtual host right?)"
                : Innermost(ex).Message;
            throw new BusConnectionException(
                $"Could not connect to the message broker {BusOptions.Redact(broker)} within {connectTimeout.TotalSeconds:0.#} s: {reason}", ex);
        }

        return new BusClient(bus, BusOptions.Redact(broker));
    }

    /// <summary>Publishes an event or command to every endpoint that consumes <typeparamref name="T"/>.</summary>
    public Task PublishAsync<T>(T message, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _bus.Publish(message, cancellationToken);
    }

    /// <summary>Sends <paramref name="message"/> to one queue (a receive endpoint's name, e.g. <c>start-experiment</c>).</summary>
    public async Task SendAsync<T>(string queue, T message, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var endpoint = await _bus.GetSendEndpoint(new Uri($"queue:{queue}")).ConfigureAwait(false);
        await endpoint.Send(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// How long a subscription's queue outlives its last consumer. The queue is durable, so it and its bindings survive
    /// a broker restart and keep the events published while this client reconnects; the broker deletes it once no
    /// client has consumed from it for this long (after the subscription was disposed, or its process died).
    /// </summary>
    public static readonly TimeSpan SubscriptionQueueExpiry = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Starts receiving the event types named in <paramref name="configure"/> on a queue of its own (see
    /// <see cref="SubscriptionQueueExpiry"/>); the returned subscription is live when this returns (events published
    /// afterwards are seen, across broker restarts too) and ends when disposed.
    /// </summary>
    public async Task<EventSubscription> SubscribeAsync(Action<EventSubscriptionBuilder> configure, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var builder = new EventSubscriptionBuilder();
        configure(builder);
        if (builder.Registrations.Count == 0)
        {
            throw new ArgumentException("Subscribe to at least one event type (builder.On<T>(handler)).", nameof(configure));
        }

        var subscription = new EventSubscription($"semanticmim-events-{Guid.NewGuid():N}");
        var handle = _bus.ConnectReceiveEndpoint(subscription.Queue, endpoint =>
        {
            var queue = (IRabbitMqReceiveEndpointConfigurator)endpoint;
            queue.Durable = true;
            queue.AutoDelete = false;
            queue.SetQueueArgument("x-expires", (long)SubscriptionQueueExpiry.TotalMilliseconds);
            foreach (var register in builder.Registrations)
            {
                register(endpoint, subscription);
            }
        });

        try
        {
            await handle.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await handle.StopAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        subscription.Attach(handle);
        return subscription;
    }

    /// <summary>Publishes <paramref name="request"/> and waits for the first <typeparamref name="TResponse"/> answer.</summary>
    /// <exception cref="RequestTimeoutException">No answer came within <paramref name="timeout"/> (default 30 s).</exception>
    public async Task<TResponse> RequestAsync<TRequest, TResponse>(TRequest request, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
        where TRequest : class
        where TResponse : class
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var client = _bus.CreateRequestClient<TRequest>(timeout ?? DefaultRequestTimeout);
        var response = await client.GetResponse<TResponse>(request, cancellationToken).ConfigureAwait(false);
        return response.Message;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await StopQuietlyAsync(_bus).ConfigureAwait(false);
    }

    /// <summary>A plain TCP connection first, so that a wrong address fails fast with the socket's reason.</summary>
    static async Task ProbeAsync(Uri broker, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var secure = broker.Scheme.EndsWith('s');
        var port = broker.IsDefaultPort || broker.Port <= 0 ? (secure ? 5671 : 5672) : broker.Port;
        using var probeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        probeTimeout.CancelAfter(timeout);
        using var tcp = new System.Net.Sockets.TcpClient();
        try
        {
            await tcp.ConnectAsync(broker.Host, port, probeTimeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var reason = ex is OperationCanceledException ? "no answer" : ex.Message;
            throw new BusConnectionException(
                $"Could not connect to the message broker {BusOptions.Redact(broker)} ({broker.Host}:{port}): {reason}. Is it running and reachable?", ex);
        }
    }

    static async Task StopQuietlyAsync(IBusControl bus)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await bus.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Stopping a bus that never connected, or a broker that went away: nothing left to release.
        }
    }

    static Exception Innermost(Exception exception)
    {
        while (exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        return exception;
    }
}
