using Microsoft.Extensions.Configuration;
using SemanticMIM.Platform.Hosting;

namespace SemanticMIM.Platform.Messaging;

/// <summary>
/// Every problem of <see cref="BusOptions"/>: the transport, the broker address (its password never shown), the
/// prefetch and the start timeout, and, given the configuration the options were bound from, every key of the
/// <c>Bus</c> section that is not a setting (a misspelt key would otherwise leave its setting at the default).
/// </summary>
public sealed class BusOptionsValidator(IConfiguration? configuration = null) : OptionsValidator<BusOptions>
{
    static readonly string[] Keys =
        [nameof(BusOptions.Transport), nameof(BusOptions.RabbitMq), nameof(BusOptions.Prefetch), nameof(BusOptions.StartTimeout),
            nameof(BusOptions.QueueType), nameof(BusOptions.DeliveryLimit)];

    static readonly string[] QueueTypes = [BusOptions.QuorumQueues, BusOptions.ClassicQueues];

    static readonly string[] Transports = [BusOptions.RabbitMqTransport, BusOptions.InMemoryTransport];

    static readonly string[] RabbitMqSchemes = ["amqp", "amqps", "rabbitmq", "rabbitmqs"];

    const string Section = BusOptions.SectionName;

    const string RabbitMqKey = $"{Section}:{nameof(BusOptions.RabbitMq)}";

    protected override IEnumerable<string> Problems(BusOptions options)
    {
        foreach (var child in configuration?.GetSection(Section).GetChildren() ?? [])
        {
            if (!Keys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                yield return $"{Section}:{child.Key} is not a known setting; the known ones are: {string.Join(", ", Keys)}.";
            }
        }

        if (!Transports.Contains(options.Transport, StringComparer.Ordinal))
        {
            yield return $"{Section}:{nameof(BusOptions.Transport)} is '{options.Transport}'; it must be one of: {string.Join(", ", Transports)}.";
        }

        if (string.IsNullOrWhiteSpace(options.RabbitMq))
        {
            if (options.UsesRabbitMq)
            {
                yield return $"{RabbitMqKey} is required when {Section}:{nameof(BusOptions.Transport)} is '{BusOptions.RabbitMqTransport}' " +
                             "(an AMQP URI such as amqp://guest:guest@127.0.0.1:5672/).";
            }
        }
        else
        {
            foreach (var problem in BrokerProblems(options.RabbitMq))
            {
                yield return problem;
            }
        }

        if (!QueueTypes.Contains(options.QueueType, StringComparer.Ordinal))
        {
            yield return $"{Section}:{nameof(BusOptions.QueueType)} is '{options.QueueType}'; it must be one of: {string.Join(", ", QueueTypes)}.";
        }

        if (options.DeliveryLimit is < 1 or > 1000)
        {
            yield return $"{Section}:{nameof(BusOptions.DeliveryLimit)} is {options.DeliveryLimit}; it must be between 1 and 1000.";
        }

        if (options.Prefetch is < 1 or > ushort.MaxValue)
        {
            yield return $"{Section}:{nameof(BusOptions.Prefetch)} is {options.Prefetch}; it must be between 1 and {ushort.MaxValue}.";
        }

        if (options.StartTimeout <= TimeSpan.Zero)
        {
            yield return $"{Section}:{nameof(BusOptions.StartTimeout)} is {options.StartTimeout}; it must be positive (for example 00:02:00).";
        }
    }

    /// <summary>The problems of a broker address, none when MassTransit's RabbitMQ transport can use it.</summary>
    static IEnumerable<string> BrokerProblems(string address)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri))
        {
            // Not echoed: a mistyped address may still hold a password.
            yield return $"{RabbitMqKey} is not an absolute URI (expected amqp://user:password@host:5672/).";
            yield break;
        }

        var shown = BusOptions.Redact(uri);
        if (!RabbitMqSchemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase))
        {
            yield return $"{RabbitMqKey} '{shown}' has the scheme '{uri.Scheme}'; it must be one of: {string.Join(", ", RabbitMqSchemes)}.";
        }

        if (string.IsNullOrWhiteSpace(uri.Host))
        {
            yield return $"{RabbitMqKey} '{shown}' names no host.";
        }

        if (uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).Length > 1)
        {
            yield return $"{RabbitMqKey} '{shown}' has the path '{uri.AbsolutePath}'; the path may only name one virtual host.";
        }
    }
}
