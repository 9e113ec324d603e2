using System.Diagnostics;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Tests.Shared;

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
        string output = await InfrastructureScript.RunAsync(new Dictionary<string, string>
        {
            ["INFRA_DIR"] = _infraDir,
            ["S3_PORT"] = InfrastructureScript.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, ["start", "s3"], TimeSpan.FromMinutes(3));
        Endpoint = InfrastructureScript.Value(output, "SEMANTICMIM_S3=")
            ?? throw new InvalidOperationException($"infrastructure.sh printed no SEMANTICMIM_S3= line: {output}");
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

}

[CollectionDefinition(Name)]
public sealed class S3rverCollection : ICollectionFixture<S3rverFixture>
{
    public const string Name = "s3rver";
}
