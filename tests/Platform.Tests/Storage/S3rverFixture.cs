using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Platform.Tests.Storage;

/// <summary>
/// A real S3 server (s3rver) for the tests of one collection, started with deploy/local/infrastructure.sh on a
/// free port and in its own INFRA_DIR, stopped on dispose. The script installs (and patches) s3rver once per
/// machine; later fixtures only start it.
/// </summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    private readonly string _infraDir = Path.Combine(Path.GetTempPath(), "semanticmim-tests", "infra-" + Guid.NewGuid().ToString("N"));

    public string Endpoint { get; private set; } = "";

    public S3StoreOptions Options(string bucket, string? keyPrefix = null) => new()
    {
        Endpoint = Endpoint,
        AccessKey = AccessKey,
        SecretKey = SecretKey,
        Bucket = bucket,
        KeyPrefix = keyPrefix,
        ConnectTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>A bucket name no other test uses.</summary>
    public static string UniqueBucket() => "t" + Guid.NewGuid().ToString("N");

    public async Task InitializeAsync()
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot(), "deploy", "local", "infrastructure.sh"), "start", "s3"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["INFRA_DIR"] = _infraDir;
        start.Environment["S3_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        string output = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"infrastructure.sh start s3 failed ({process.ExitCode}): {await stderr}");
        }
        const string marker = "SEMANTICMIM_S3=";
        Endpoint = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(marker, StringComparison.Ordinal))?[marker.Length..]
            ?? throw new InvalidOperationException($"infrastructure.sh printed no {marker}: {output} {await stderr}");
    }

    public Task DisposeAsync()
    {
        string serverDir = Path.Combine(_infraDir, "s3rver");
        string pidFile = Path.Combine(serverDir, "pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out int pid))
        {
            try
            {
                using var server = Process.GetProcessById(pid);
                server.Kill();
                server.WaitForExit(5000);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // already gone
            }
        }
        try
        {
            Directory.Delete(_infraDir, recursive: true);
        }
        catch (IOException)
        {
        }
        return Task.CompletedTask;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SemanticMIM.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no SemanticMIM.sln above {AppContext.BaseDirectory}");
    }
}

[CollectionDefinition(Name)]
public sealed class S3rverCollection : ICollectionFixture<S3rverFixture>
{
    public const string Name = "s3rver";
}
