using System.Diagnostics;
using System.Text;

namespace SemanticMIM.Integration.Tests.Infrastructure;

/// <summary>What a run of the <c>semanticmim</c> command line printed.</summary>
public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit code {ExitCode}\n--- stdout:\n{Output}\n--- stderr:\n{Error}";
}

/// <summary>Runs the real command line (<c>dotnet src/Cli/bin/&lt;Configuration&gt;/net10.0/semanticmim.dll …</c>) as a process.</summary>
public static class CliProcess
{
    public static Task<CliResult> RunAsync(TimeSpan timeout, string workingDirectory, params string[] arguments) =>
        RunAsync(timeout, workingDirectory, new Dictionary<string, string>(), arguments);

    public static async Task<CliResult> RunAsync(TimeSpan timeout, string workingDirectory, IReadOnlyDictionary<string, string> environment,
        params string[] arguments)
    {
        var start = new ProcessStartInfo(Repository.DotNet, [Repository.CliAssembly, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.Environment["NO_COLOR"] = "1";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var output = new StringBuilder();
        var error = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, line) => Append(output, line.Data);
        process.ErrorDataReceived += (_, line) => Append(error, line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"semanticmim {string.Join(' ', arguments)} did not exit within {timeout.TotalSeconds:0} s\n--- stdout:\n{Read(output)}\n--- stderr:\n{Read(error)}");
        }
        process.WaitForExit(); // drains the output readers
        return new CliResult(process.ExitCode, Read(output), Read(error));
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is not null)
        {
            lock (text)
            {
                text.AppendLine(line);
            }
        }
    }

    private static string Read(StringBuilder text)
    {
        lock (text)
        {
            return text.ToString();
        }
    }
}
