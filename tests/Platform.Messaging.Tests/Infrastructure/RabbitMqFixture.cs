using System.Net;
using System.Net.Sockets;
using RabbitMQ.Client;

namespace SemanticMIM.Platform.Messaging.Tests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class RabbitMqCollection : ICollectionFixture<RabbitMqFixture>
{
    public const string Name = "rabbitmq";
}

/// <summary>
/// A real RabbitMQ for the tests of this collection, started with <c>deploy/local/infrastructure.sh start rabbitmq</c>
/// on a free loopback port (installing rabbitmq-server from Debian on first use) and stopped at the end.
/// </summary>
/// <remarks>
/// The broker must be a node of its own, so that it neither reuses nor stops a broker someone else runs on this
/// machine. Newer versions of infrastructure.sh name the node after the port themselves; for older ones the
/// environment sets <see cref="NodeName"/> and a distribution port of its own (a broker left behind by a killed
/// run then has the same name and is stopped before the new one starts).
/// </remarks>
public sealed class RabbitMqFixture : IAsyncLifetime
{
    // A second checkout testing beside this one names its own node, so that neither stops the other's broker.
    static readonly string NodeName = Environment.GetEnvironmentVariable("SEMANTICMIM_TEST_RABBITMQ_NODENAME") is { Length: > 0 } node
        ? node : "semanticmim-messaging-tests@localhost";

    static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    readonly string _infraDir = Path.Combine(Path.GetTempPath(), "semanticmim-tests", "rabbitmq-" + Guid.NewGuid().ToString("N"));
    readonly int _distributionPort;
    readonly int _metricsPort = InfrastructureScript.FreePort();

    public RabbitMqFixture()
    {
        (Port, _distributionPort) = FreeBrokerPorts();
    }

    public int Port { get; }

    /// <summary>amqp://guest:guest@127.0.0.1:PORT/</summary>
    public Uri AmqpUri { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Run as root, Debian's rabbitmq-server wrapper starts the broker as the 'rabbitmq' user, which cannot
        // write into the folder infrastructure.sh creates as root: give it a folder it may write to.
        var brokerDir = Directory.CreateDirectory(Path.Combine(_infraDir, "rabbitmq"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(brokerDir.FullName, (UnixFileMode)0b111_111_111);
        }

        await RunScriptAsync("stop", TimeSpan.FromMinutes(1));
        try
        {
            var output = await RunScriptAsync("start rabbitmq", StartTimeout);
            AmqpUri = new Uri(InfrastructureScript.Value(output, "SEMANTICMIM_RABBITMQ=")
                ?? throw new InvalidOperationException($"infrastructure.sh printed no SEMANTICMIM_RABBITMQ line:\n{output}"));
            if (AmqpUri.Port != Port)
            {
                throw new InvalidOperationException($"The broker listens on {AmqpUri}, not on the port asked for ({Port}).");
            }

            // Prove it answers AMQP before any test uses it.
            await using var connection = await ConnectAsync();
        }
        catch (Exception ex)
        {
            // A half-started broker must not outlive a failed start; its log says why it failed.
            var errors = BrokerErrors();
            await DisposeAsync();
            throw new InvalidOperationException($"RabbitMQ did not start: {ex.Message}\nBroker log errors:\n{errors}", ex);
        }
    }

    public async Task DisposeAsync()
    {
        try
        {
            await RunScriptAsync("stop", TimeSpan.FromMinutes(1));
        }
        finally
        {
            if (Directory.Exists(_infraDir))
            {
                Directory.Delete(_infraDir, recursive: true);
            }
        }
    }

    /// <summary>A plain AMQP connection (RabbitMQ.Client, as any non-.NET client would use the broker).</summary>
    public Task<IConnection> ConnectAsync() => new ConnectionFactory { Uri = AmqpUri }.CreateConnectionAsync();

    /// <summary>Configuration for <c>AddSemanticMimBus</c> pointing at this broker.</summary>
    public Dictionary<string, string?> BusConfiguration() => new()
    {
        ["Bus:Transport"] = "rabbitmq",
        ["Bus:RabbitMq"] = AmqpUri.ToString(),
    };

    /// <summary>
    /// A free AMQP port and an Erlang distribution port (passed to infrastructure.sh as RABBITMQ_DIST_PORT), both free.
    /// </summary>
    static (int Amqp, int Distribution) FreeBrokerPorts()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var amqp = Random.Shared.Next(20000, 40000);
            var distribution = amqp % 20000 + 40000;
            if (IsFree(amqp) && IsFree(distribution))
            {
                return (amqp, distribution);
            }
        }

        throw new InvalidOperationException("No free pair of ports for the broker.");
    }

    static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    Task<string> RunScriptAsync(string arguments, TimeSpan timeout) => InfrastructureScript.RunAsync(new Dictionary<string, string>
    {
        ["INFRA_DIR"] = _infraDir,
        ["RABBITMQ_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RABBITMQ_NODENAME"] = NodeName,
        ["RABBITMQ_DIST_PORT"] = _distributionPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        // The broker's metrics listener (rabbitmq_prometheus) on a port known to be free, not one derived from AMQP's.
        ["RABBITMQ_PROMETHEUS_PORT"] = _metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
    }, arguments.Split(' '), timeout);

    string BrokerErrors()
    {
        var logs = Path.Combine(_infraDir, "rabbitmq", "log");
        if (!Directory.Exists(logs))
        {
            return "(no log folder)";
        }

        var lines = Directory.EnumerateFiles(logs, "*.log")
            .SelectMany(File.ReadLines)
            .Where(l => l.Contains("[error]", StringComparison.Ordinal))
            .Take(15);
        return string.Join('\n', lines);
    }

}
