using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace SemanticMIM.Integration.Tests.Infrastructure;

/// <summary>
/// One service host (<c>services/&lt;Name&gt;</c>) run as its own process: <c>dotnet semanticmim-&lt;name&gt;.dll</c> with
/// the given environment, its own cache folder and a free port for <c>/health/*</c>. Its stdout and stderr are
/// kept in a buffer (with markers for every start and kill) for a failed test's output. It can be killed, as a
/// crashed pod would be, and started again (a fresh port and an empty cache, as a new pod would get).
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly string _scratch;
    private readonly StringBuilder _log = new();
    private Process? _process;
    private int _starts;

    public ServiceProcess(string name, IReadOnlyDictionary<string, string> environment, string scratch)
    {
        Name = name;
        Assembly = Repository.ServiceAssembly(name);
        _environment = environment;
        _scratch = scratch;
    }

    public string Name { get; }

    public string Assembly { get; }

    /// <summary>Where /health/live, /health/ready and /metrics answer in the current run.</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Characters logged so far, to show only what a test added (<see cref="LogSince"/>).</summary>
    public int LogLength
    {
        get
        {
            lock (_log)
            {
                return _log.Length;
            }
        }
    }

    public string LogSince(int position)
    {
        lock (_log)
        {
            return _log.ToString(Math.Min(position, _log.Length), _log.Length - Math.Min(position, _log.Length));
        }
    }

    /// <summary>Starts the process and returns once GET /health/ready answers 200 (the bus is connected, its endpoints ready).</summary>
    public async Task StartAsync(CancellationToken cancellation = default)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running (pid {_process!.Id})");
        }
        _process?.Dispose();
        int run = ++_starts;
        int port = InfrastructureScript.FreePort();
        string cache = Directory.CreateDirectory(Path.Combine(_scratch, $"{Name.ToLowerInvariant()}-cache-{run}")).FullName;
        var start = new ProcessStartInfo(Repository.DotNet, [Assembly])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Assembly)!,
        };
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }
        start.Environment["Cache__Folder"] = cache;
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, line) => Append("out", line.Data);
        process.ErrorDataReceived += (_, line) => Append("err", line.Data);
        process.Exited += (_, _) => Mark($"exited (code {SafeExitCode(process)})");
        if (!process.Start())
        {
            throw new InvalidOperationException($"{Name}: {Repository.DotNet} {Assembly} did not start");
        }
        _process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        Mark($"started #{run}: pid {process.Id}, {BaseAddress}, cache {cache}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitUntilReadyAsync(process, cancellation);
    }

    /// <summary>Kills the process at once, as a crash or an evicted pod would end; only it, not what it started.</summary>
    public void Kill()
    {
        if (_process is not { } process)
        {
            return;
        }
        Mark("killing");
        try
        {
            process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException($"{Name} (pid {process.Id}) did not exit within 30 s of being killed");
        }
        process.WaitForExit(); // drains the output readers
    }

    public async Task RestartAsync(CancellationToken cancellation = default)
    {
        Kill();
        await StartAsync(cancellation);
    }

    /// <summary>GET /health/ready: 200 when the service can take work.</summary>
    public async Task<HttpStatusCode> ReadinessAsync(CancellationToken cancellation = default)
    {
        using var response = await Http.GetAsync(new Uri(BaseAddress, "health/ready"), cancellation);
        return response.StatusCode;
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Kill();
        }
        catch (TimeoutException)
        {
        }
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task WaitUntilReadyAsync(Process process, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        string last = "no answer yet";
        while (clock.Elapsed < ReadyTimeout)
        {
            cancellation.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                process.WaitForExit();
                throw new InvalidOperationException($"{Name} exited with code {process.ExitCode} before it was ready:\n{LogSince(0)}");
            }
            try
            {
                var status = await ReadinessAsync(cancellation);
                if (status == HttpStatusCode.OK)
                {
                    Mark($"ready after {clock.Elapsed.TotalSeconds:F1} s");
                    return;
                }
                last = $"{(int)status} {status}";
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException && !cancellation.IsCancellationRequested)
            {
                last = error.Message;
            }
            await Task.Delay(200, cancellation);
        }
        throw new TimeoutException($"{Name} did not answer 200 on {BaseAddress}health/ready within {ReadyTimeout.TotalSeconds:0} s (last: {last}):\n{LogSince(0)}");
    }

    private void Append(string stream, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            _log.Append(CultureInfo.InvariantCulture, $"[{Name} {stream}] ").AppendLine(line);
        }
    }

    private void Mark(string what)
    {
        lock (_log)
        {
            _log.Append(CultureInfo.InvariantCulture, $"[{Name}] ---- {DateTime.UtcNow:HH:mm:ss.fff} {what} ----").AppendLine();
        }
    }

    private static string SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode.ToString(CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }
}
