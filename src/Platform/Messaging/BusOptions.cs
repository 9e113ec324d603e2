using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace SemanticMIM.Platform.Messaging;

/// <summary>
/// The message bus a process joins, bound from the configuration section <c>Bus</c>
/// (environment variables <c>Bus__Transport</c>, <c>Bus__RabbitMq</c>, <c>Bus__Prefetch</c>, <c>Bus__StartTimeout</c>).
/// </summary>
public sealed record BusOptions
{
    public const string SectionName = "Bus";

    /// <summary>RabbitMQ through MassTransit: the cluster transport.</summary>
    public const string RabbitMqTransport = "rabbitmq";

    /// <summary>MassTransit's in-memory transport: the embedded (one process) transport.</summary>
    public const string InMemoryTransport = "inmemory";

    public const int DefaultPrefetch = 16;

    public static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromMinutes(2);

    static readonly string[] Keys = [nameof(Transport), nameof(RabbitMq), nameof(Prefetch), nameof(StartTimeout)];

    static readonly string[] Transports = [RabbitMqTransport, InMemoryTransport];

    static readonly string[] RabbitMqSchemes = ["amqp", "amqps", "rabbitmq", "rabbitmqs"];

    /// <summary>
    /// <c>rabbitmq</c> or <c>inmemory</c>. When the configuration leaves it out, it is <c>rabbitmq</c> if
    /// <see cref="RabbitMq"/> is set and <c>inmemory</c> otherwise.
    /// </summary>
    public string Transport { get; init; } = InMemoryTransport;

    /// <summary>The broker, as an AMQP URI: <c>amqp://user:password@host:5672/</c> (an optional path names the virtual host).</summary>
    public Uri? RabbitMq { get; init; }

    /// <summary>How many unacknowledged messages each receive endpoint may hold (1 to 65535).</summary>
    public int Prefetch { get; init; } = DefaultPrefetch;

    /// <summary>How long a host waits for the bus to connect before it gives up and fails to start.</summary>
    public TimeSpan StartTimeout { get; init; } = DefaultStartTimeout;

    public bool UsesRabbitMq => string.Equals(Transport, RabbitMqTransport, StringComparison.Ordinal);

    /// <summary>Reads and validates the <c>Bus</c> section; throws <see cref="BusConfigurationException"/> listing every problem.</summary>
    public static BusOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var problems = new List<string>();
        var options = Read(configuration.GetSection(SectionName), problems, out var rabbitMqGiven);
        problems.AddRange(options.Validate(rabbitMqGiven));
        if (problems.Count > 0)
        {
            throw new BusConfigurationException(problems);
        }

        return options;
    }

    /// <summary>Every problem of these options, empty when they are usable.</summary>
    public IReadOnlyList<string> Validate() => Validate(rabbitMqGiven: false);

    /// <summary>Throws <see cref="BusConfigurationException"/> listing every problem, if there is any.</summary>
    public void EnsureValid()
    {
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new BusConfigurationException(problems);
        }
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

    IReadOnlyList<string> Validate(bool rabbitMqGiven)
    {
        var problems = new List<string>();
        if (!Transports.Contains(Transport, StringComparer.Ordinal))
        {
            problems.Add($"{SectionName}:{nameof(Transport)} is '{Transport}'; it must be one of: {string.Join(", ", Transports)}.");
        }

        if (RabbitMq is null)
        {
            // A value that was given but could not be read has its own problem already.
            if (UsesRabbitMq && !rabbitMqGiven)
            {
                problems.Add($"{SectionName}:{nameof(RabbitMq)} is required when {SectionName}:{nameof(Transport)} is '{RabbitMqTransport}' " +
                             "(an AMQP URI such as amqp://guest:guest@127.0.0.1:5672/).");
            }
        }
        else
        {
            problems.AddRange(CheckBrokerUri(RabbitMq));
        }

        if (Prefetch is < 1 or > ushort.MaxValue)
        {
            problems.Add($"{SectionName}:{nameof(Prefetch)} is {Prefetch}; it must be between 1 and {ushort.MaxValue}.");
        }

        if (StartTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:{nameof(StartTimeout)} is {StartTimeout}; it must be positive (for example 00:02:00).");
        }

        return problems;
    }

    /// <summary>The problems of a broker address, empty when MassTransit's RabbitMQ transport can use it.</summary>
    public static IReadOnlyList<string> CheckBrokerUri(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var name = $"{SectionName}:{nameof(RabbitMq)}";
        if (!uri.IsAbsoluteUri)
        {
            return [$"{name} '{uri}' is not an absolute URI (expected amqp://user:password@host:5672/)."];
        }

        var problems = new List<string>();
        var shown = Redact(uri);
        if (!RabbitMqSchemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase))
        {
            problems.Add($"{name} '{shown}' has the scheme '{uri.Scheme}'; it must be one of: {string.Join(", ", RabbitMqSchemes)}.");
        }

        if (string.IsNullOrWhiteSpace(uri.Host))
        {
            problems.Add($"{name} '{shown}' names no host.");
        }

        if (uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).Length > 1)
        {
            problems.Add($"{name} '{shown}' has the path '{uri.AbsolutePath}'; the path may only name one virtual host.");
        }

        return problems;
    }

    static BusOptions Read(IConfigurationSection section, List<string> problems, out bool rabbitMqGiven)
    {
        foreach (var child in section.GetChildren())
        {
            if (!Keys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add($"{SectionName}:{child.Key} is not a known setting; the known ones are: {string.Join(", ", Keys)}.");
            }
        }

        Uri? rabbitMq = null;
        var rabbitMqText = Value(section, nameof(RabbitMq));
        rabbitMqGiven = rabbitMqText is not null;
        if (rabbitMqText is not null)
        {
            if (Uri.TryCreate(rabbitMqText, UriKind.Absolute, out var parsed))
            {
                rabbitMq = parsed;
            }
            else
            {
                problems.Add($"{SectionName}:{nameof(RabbitMq)} is not an absolute URI (expected amqp://user:password@host:5672/).");
            }
        }

        var transport = Value(section, nameof(Transport))?.ToLowerInvariant()
                        ?? (rabbitMqGiven ? RabbitMqTransport : InMemoryTransport);

        var prefetch = DefaultPrefetch;
        var prefetchText = Value(section, nameof(Prefetch));
        if (prefetchText is not null && !int.TryParse(prefetchText, NumberStyles.Integer, CultureInfo.InvariantCulture, out prefetch))
        {
            problems.Add($"{SectionName}:{nameof(Prefetch)} is '{prefetchText}'; it must be a whole number between 1 and {ushort.MaxValue}.");
            prefetch = DefaultPrefetch;
        }

        var startTimeout = DefaultStartTimeout;
        var startTimeoutText = Value(section, nameof(StartTimeout));
        if (startTimeoutText is not null && !TimeSpan.TryParse(startTimeoutText, CultureInfo.InvariantCulture, out startTimeout))
        {
            problems.Add($"{SectionName}:{nameof(StartTimeout)} is '{startTimeoutText}'; it must be a time span such as 00:02:00.");
            startTimeout = DefaultStartTimeout;
        }

        return new BusOptions { Transport = transport, RabbitMq = rabbitMq, Prefetch = prefetch, StartTimeout = startTimeout };
    }

    static string? Value(IConfigurationSection section, string key)
    {
        var value = section[key]?.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }
}
