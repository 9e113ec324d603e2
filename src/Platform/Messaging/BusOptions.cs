using Microsoft.Extensions.Configuration;

namespace SemanticMIM.Platform.Messaging;

/// <summary>
/// The message bus a process joins, bound from the configuration section <c>Bus</c>
/// (environment variables <c>Bus__Transport</c>, <c>Bus__RabbitMq</c>, <c>Bus__Prefetch</c>, <c>Bus__StartTimeout</c>,
/// <c>Bus__QueueType</c>, <c>Bus__DeliveryLimit</c>)
/// and checked by <see cref="BusOptionsValidator"/>.
/// </summary>
public sealed class BusOptions
{
    public const string SectionName = "Bus";

    /// <summary>RabbitMQ through MassTransit: the cluster transport.</summary>
    public const string RabbitMqTransport = "rabbitmq";

    /// <summary>MassTransit's in-memory transport: the embedded (one process) transport.</summary>
    public const string InMemoryTransport = "inmemory";

    public const int DefaultPrefetch = 16;

    /// <summary>Replicated queues that count deliveries: a message redelivered too often goes to the error queue.</summary>
    public const string QuorumQueues = "quorum";

    /// <summary>RabbitMQ's classic queues, as deployments before quorum queues declared them.</summary>
    public const string ClassicQueues = "classic";

    public static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// <c>rabbitmq</c> or <c>inmemory</c>, in any case. When the configuration leaves it out, <see cref="ApplyDefaults"/>
    /// makes it <c>rabbitmq</c> if <see cref="RabbitMq"/> is set and <c>inmemory</c> otherwise.
    /// </summary>
    public string? Transport { get; set; }

    /// <summary>
    /// The broker, as an AMQP URI: <c>amqp://user:password@host:5672/</c> (an optional path names the virtual host).
    /// Text rather than a <see cref="Uri"/>: the binder quotes a value it cannot convert in its message, and this one
    /// holds a password, so <see cref="BusOptionsValidator"/> reads it instead.
    /// </summary>
    public string? RabbitMq { get; set; }

    /// <summary>How many unacknowledged messages each receive endpoint may hold (1 to 65535).</summary>
    public int Prefetch { get; set; } = DefaultPrefetch;

    /// <summary>How long a host waits for the bus to connect before it gives up and fails to start (<c>hh:mm:ss</c>).</summary>
    public TimeSpan StartTimeout { get; set; } = DefaultStartTimeout;

    /// <summary>
    /// The type of the consumers' queues on RabbitMQ: <c>quorum</c> (default) or <c>classic</c>. A queue cannot change
    /// type in place: an existing deployment's classic queues are upgraded with <c>semanticmim broker upgrade-queues</c>.
    /// </summary>
    public string QueueType { get; set; } = QuorumQueues;

    /// <summary>
    /// Deliveries a message may have in a quorum queue before the broker moves it to the queue's error queue: a
    /// poison message that crashes its consumer each time stops being redelivered.
    /// </summary>
    public int DeliveryLimit { get; set; } = 5;

    public bool UsesRabbitMq => string.Equals(Transport, RabbitMqTransport, StringComparison.Ordinal);

    /// <summary>Chooses <see cref="Transport"/> when it was left out, and writes it in lower case.</summary>
    public void ApplyDefaults() => Transport = TransportOf(Transport, brokerGiven: !string.IsNullOrWhiteSpace(RabbitMq));

    /// <summary>
    /// Whether the <c>Bus</c> section of <paramref name="configuration"/> chooses RabbitMQ, read before the container
    /// exists (MassTransit takes its transport at registration); the rest of the section is bound and validated later.
    /// </summary>
    public static bool ChoosesRabbitMq(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        var transport = TransportOf(section.GetValue<string>(nameof(Transport)),
            brokerGiven: !string.IsNullOrWhiteSpace(section.GetValue<string>(nameof(RabbitMq))));
        return transport == RabbitMqTransport;
    }

    /// <summary><paramref name="uri"/> with its password replaced by <c>***</c>, for logs and error messages.</summary>
    public static string Redact(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri || string.IsNullOrEmpty(uri.UserInfo))
        {
            return uri.ToString();
        }

        var user = uri.UserInfo.Split(':', 2)[0];
        return new UriBuilder(uri) { UserName = user, Password = "***" }.Uri.ToString();
    }

    static string TransportOf(string? configured, bool brokerGiven) =>
        string.IsNullOrWhiteSpace(configured)
            ? brokerGiven ? RabbitMqTransport : InMemoryTransport
            : configured.Trim().ToLowerInvariant();
}
