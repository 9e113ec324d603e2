using System.Diagnostics;
using System.Globalization;
using System.Text;
using RabbitMQ.Client;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Integration.Tests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class InfrastructureCollection : ICollectionFixture<InfrastructureFixture>
{
    public const string Name = "infrastructure";
}

/// <summary>
/// A real RabbitMQ and a real S3 server (s3rver) for every test of the collection, started with
/// <c>deploy/local/infrastructure.sh start rabbitmq s3</c> in a temporary INFRA_DIR on free loopback ports, and
/// stopped at the end (<c>infrastructure.sh stop</c> with the same INFRA_DIR and ports, then the s3rver pid).
/// The broker serves its rabbitmq_prometheus metrics on <see cref="RabbitMqMetricsPort"/>; a test that needs a
/// Prometheus starts one with <see cref="StartPrometheusAsync"/>.
/// </summary>
/// <remarks>
/// The script names the broker's Erlang node after its AMQP port (<c>semanticmim-PORT@localhost</c>) and gives it the
/// distribution port PORT + 1000, so it neither reuses nor stops a broker that someone else runs on this machine;
/// the port is chosen so that both are free. The script installs s3rver once per machine, patched for atomic writes.
/// </remarks>
public sealed class InfrastructureFixture : IAsyncLifetime
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    private readonly string _infraDir = Path.Combine(Path.GetTempPath(), "semanticmim-tests", "integration-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly StringBuilder _log = new();

    public int RabbitMqPort { get; } = FreeBrokerPort();

    public int S3Port { get; } = InfrastructureScript.FreePort();

    /// <summary>Where the broker serves its Prometheus metrics (rabbitmq_prometheus, per queue).</summary>
    public int RabbitMqMetricsPort { get; } = InfrastructureScript.FreePort();

    public int PrometheusPort { get; } = InfrastructureScript.FreePort();

    /// <summary>
    /// The <c>namespace</c> label the Prometheus of <see cref="StartPrometheusAsync"/> puts on every series, as the
    /// Prometheus Operator labels what it scrapes in a cluster with the pod's namespace.
    /// </summary>
    public const string PrometheusNamespace = "semanticmim-integration";

    /// <summary>amqp://guest:guest@127.0.0.1:PORT/</summary>
    public Uri AmqpUri { get; private set; } = null!;

    /// <summary>http://127.0.0.1:PORT</summary>
    public string S3Endpoint { get; private set; } = "";

    /// <summary>What infrastructure.sh printed, for a failure's diagnosis.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            // Whatever did start is stopped: a failed fixture is not disposed by every runner.
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        string output = await RunScriptAsync(_infraDir, ["start", "rabbitmq", "s3"], StartTimeout);
        AmqpUri = new Uri(Value(output, "SEMANTICMIM_RABBITMQ="));
        S3Endpoint = Value(output, "SEMANTICMIM_S3=");
        if (AmqpUri.Port != RabbitMqPort || new Uri(S3Endpoint).Port != S3Port)
        {
            throw new InvalidOperationException($"infrastructure.sh reports {AmqpUri} and {S3Endpoint}, not the ports asked for ({RabbitMqPort}, {S3Port}):\n{Log}");
        }

        // Both answer before any test uses them.
        await using (await ConnectAsync())
        {
        }
        using var store = await S3ObjectStore.CreateAsync(StoreOptions("probe-" + Guid.NewGuid().ToString("N")[..12]));
    }

    /// <summary>
    /// Starts a Prometheus on <see cref="PrometheusPort"/> (<c>infrastructure.sh start prometheus</c>; installed from
    /// Debian if missing) that scrapes every second the broker's metrics (job <c>rabbitmq</c>) and the <c>/metrics</c>
    /// of each target under its job name, labelling every series <c>namespace="<see cref="PrometheusNamespace"/>"</c>
    /// and <c>pod="JOB-0"</c> (as a PodMonitor labels a pod's series), and each exporter with its own labels kept.
    /// Called again, it reloads the new targets. Stopped with <see cref="StopPrometheusAsync"/> or with the rest.
    /// </summary>
    /// <returns>http://127.0.0.1:PORT/, ready (<c>/-/ready</c> answered).</returns>
    public async Task<Uri> StartPrometheusAsync(IEnumerable<(string Job, Uri Address)> targets, IEnumerable<(string Job, Uri Address)>? exporters = null)
    {
        static string List(IEnumerable<(string Job, Uri Address)> entries) =>
            string.Join(',', entries.Select(t => $"{t.Job}={t.Address.Host}:{t.Address.Port}"));
        string output = await RunScriptAsync(_infraDir, ["start", "prometheus"], StartTimeout, new Dictionary<string, string>
        {
            ["PROMETHEUS_TARGETS"] = List(targets),
            ["PROMETHEUS_EXPORTERS"] = List(exporters ?? []),
            ["PROMETHEUS_NAMESPACE"] = PrometheusNamespace,
            ["PROMETHEUS_SCRAPE_INTERVAL"] = "1s",
        });
        var address = new Uri(Value(output, "SEMANTICMIM_PROMETHEUS=").TrimEnd('/') + "/");
        if (address.Port != PrometheusPort)
        {
            throw new InvalidOperationException($"infrastructure.sh reports Prometheus at {address}, not on the port asked for ({PrometheusPort}):\n{Log}");
        }
        return address;
    }

    /// <summary>
    /// Stops the broker and starts it again on the same port and data folder (its durable queues and persistent
    /// messages survive), after <paramref name="down"/> without a broker.
    /// </summary>
    public async Task RestartBrokerAsync(TimeSpan down)
    {
        await RunScriptAsync(_infraDir, ["stop", "rabbitmq"], TimeSpan.FromMinutes(1));
        await Task.Delay(down);
        string output = await RunScriptAsync(_infraDir, ["start", "rabbitmq"], StartTimeout);
        if (new Uri(Value(output, "SEMANTICMIM_RABBITMQ=")).Port != RabbitMqPort)
        {
            throw new InvalidOperationException($"the restarted broker does not listen on {RabbitMqPort}:\n{Log}");
        }
    }

    /// <summary>Stops the Prometheus of <see cref="StartPrometheusAsync"/>, if one runs; the broker and s3rver go on.</summary>
    public Task StopPrometheusAsync() => RunScriptAsync(_infraDir, ["stop", "prometheus"], TimeSpan.FromMinutes(1));

    public async Task DisposeAsync()
    {
        try
        {
            await RunScriptAsync(_infraDir, ["stop"], TimeSpan.FromMinutes(1));
        }
        catch (Exception error) when (error is InvalidOperationException or TimeoutException)
        {
            // The s3rver and Prometheus are still stopped below; the broker's log tells why it did not stop.
            Console.Error.WriteLine(error.Message);
        }
        KillByPidFile(Path.Combine(_infraDir, "s3rver", "pid"));
        KillByPidFile(Path.Combine(_infraDir, "prometheus", "pid"));
        try
        {
            Directory.Delete(_infraDir, recursive: true);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The S3 store options of <paramref name="bucket"/> on this server.</summary>
    public S3StoreOptions StoreOptions(string bucket) => new()
    {
        Endpoint = S3Endpoint,
        AccessKey = AccessKey,
        SecretKey = SecretKey,
        Bucket = bucket,
        ConnectTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>A plain AMQP connection (RabbitMQ.Client), as a non-MassTransit client would use the broker.</summary>
    public Task<IConnection> ConnectAsync() => new ConnectionFactory { Uri = AmqpUri }.CreateConnectionAsync();

    /// <summary>The environment every service process gets besides its own port, cache and bucket.</summary>
    public Dictionary<string, string> ServiceEnvironment(string bucket) => new()
    {
        ["Bus__Transport"] = "rabbitmq",
        ["Bus__RabbitMq"] = AmqpUri.ToString(),
        ["Storage__Kind"] = "s3",
        ["Storage__Endpoint"] = S3Endpoint,
        ["Storage__AccessKey"] = AccessKey,
        ["Storage__SecretKey"] = SecretKey,
        ["Storage__Bucket"] = bucket,
        // Fast unit retries.
        ["Retry__Intervals__0"] = "00:00:00.200",
        // The orchestrator launches jobs on the trainer's and evaluator's job agents; a killed agent is noticed within
        // seconds (its heartbeat stops), not the minute a deployment would wait.
        ["Jobs__Launcher"] = "agents",
        ["JobAgent__HeartbeatInterval"] = "00:00:01",
        ["JobAgent__ClaimSettle"] = "00:00:00.200",
        ["JobAgents__HeartbeatTimeout"] = "00:00:05",
        ["JobAgents__ScanInterval"] = "00:00:01",
    };

    private async Task<string> RunScriptAsync(string infraDir, string[] arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var variables = new Dictionary<string, string>
        {
            ["INFRA_DIR"] = infraDir,
            ["RABBITMQ_PORT"] = RabbitMqPort.ToString(CultureInfo.InvariantCulture),
            ["S3_PORT"] = S3Port.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_PROMETHEUS_PORT"] = RabbitMqMetricsPort.ToString(CultureInfo.InvariantCulture),
            ["PROMETHEUS_PORT"] = PrometheusPort.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            variables[key] = value;
        }
        string command = "infrastructure.sh " + string.Join(' ', arguments);
        try
        {
            string output = await InfrastructureScript.RunAsync(variables, arguments, timeout);
            lock (_log)
            {
                _log.AppendLine($"$ {command}").AppendLine(output);
            }
            return output;
        }
        catch (InvalidOperationException error)
        {
            lock (_log)
            {
                _log.AppendLine($"$ {command}").AppendLine(error.Message);
            }
            throw new InvalidOperationException($"{error.Message}\n{ServerLogs()}", error);
        }
    }

    /// <summary>The ends of the broker's, s3rver's and Prometheus' own logs (INFRA_DIR is deleted at the end).</summary>
    private string ServerLogs()
    {
        var text = new StringBuilder();
        foreach (string folder in new[] { Path.Combine(_infraDir, "rabbitmq", "log"), Path.Combine(_infraDir, "s3rver"), Path.Combine(_infraDir, "prometheus") })
        {
            if (!Directory.Exists(folder))
            {
                continue;
            }
            foreach (string file in Directory.GetFiles(folder).Where(f => f.EndsWith(".log", StringComparison.Ordinal) || Path.GetFileName(f) == "log"))
            {
                try
                {
                    var lines = File.ReadAllLines(file);
                    text.AppendLine($"--- {file} (last 60 lines):").AppendLine(string.Join('\n', lines.TakeLast(60)));
                }
                catch (IOException error)
                {
                    text.AppendLine($"--- {file}: {error.Message}");
                }
            }
        }
        return text.ToString();
    }

    /// <summary>A free AMQP port below 64000 whose distribution port (PORT + 1000, as infrastructure.sh derives it) is free too.</summary>
    private static int FreeBrokerPort()
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = InfrastructureScript.FreePort();
            if (port >= 64000)
            {
                continue;
            }
            try
            {
                using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port + 1000);
                listener.Start();
                return port;
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 20)
            {
            }
        }
    }

    private string Value(string output, string marker) =>
        InfrastructureScript.Value(output, marker)
        ?? throw new InvalidOperationException($"infrastructure.sh printed no {marker} line:\n{Log}");

    private static void KillByPidFile(string pidFile)
    {
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out int pid))
        {
            return;
        }
        try
        {
            using var server = Process.GetProcessById(pid);
            server.Kill();
            server.WaitForExit(5000);
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException)
        {
            // already gone
        }
    }
}
