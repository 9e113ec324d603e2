using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SemanticMIM.Tests.Shared;

/// <summary>
/// Runs <c>deploy/local/infrastructure.sh</c>, the one way the tests start and stop their real servers (RabbitMQ,
/// s3rver, Prometheus), with the environment that picks the folder and ports; reads what it prints.
/// </summary>
public static class InfrastructureScript
{
    /// <summary>Runs the script with <paramref name="arguments"/> and returns what it printed on standard output.</summary>
    /// <exception cref="TimeoutException">It did not finish in time (it is killed).</exception>
    /// <exception cref="InvalidOperationException">It exited with an error; the message holds both outputs.</exception>
    public static async Task<string> RunAsync(IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        string script = Path.Combine(RepositoryRoot(), "deploy", "local", "infrastructure.sh");
        var start = new ProcessStartInfo("bash", [script, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        string command = "infrastructure.sh " + string.Join(' ', arguments);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} did not finish within {timeout}:\n{await stdout}\n{await stderr}");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }
        return await stdout;
    }

    /// <summary>The value of the last <c>MARKER=value</c> line, e.g. <c>SEMANTICMIM_S3=</c>, or null.</summary>
    public static string? Value(string output, string marker) =>
        output.Split('\n').Select(line => line.Trim()).LastOrDefault(line => line.StartsWith(marker, StringComparison.Ordinal))?[marker.Length..];

    /// <summary>
    /// A loopback port free now, drawn below Linux's ephemeral range (32768 and up): a port the kernel handed out
    /// could be taken as the local port of any outgoing connection before the server it is meant for binds it.
    /// </summary>
    public static int FreePort()
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            int port = Random.Shared.Next(20000, 30000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: draw another.
            }
        }
        throw new InvalidOperationException("no free loopback port between 20000 and 29999");
    }

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SemanticMIM.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"no SemanticMIM.sln above {AppContext.BaseDirectory}");
    }
}
