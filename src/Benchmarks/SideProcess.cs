using System.Diagnostics;
using System.Globalization;

namespace SemanticMIM.Benchmarks;

/// <summary>Starts one side of a pair in its own process, pinned with taskset, with every BLAS and OpenMP pool at the same thread count.</summary>
public static class SideProcess
{
    /// <summary>Runs <paramref name="command"/> to its end; its output goes to <paramref name="logPath"/>, and a failure throws with the log's tail.</summary>
    public static void Run(IReadOnlyList<string> command, string cores, int threads, IReadOnlyDictionary<string, string> environment,
        TimeSpan timeout, string logPath, string what)
    {
        var start = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-c", cores }.Concat(command))
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var variable in new[] { "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS" })
        {
            start.Environment[variable] = threads.ToString(CultureInfo.InvariantCulture);
        }
        // Only the suite's own choice of OpenBLAS kernels reaches a side, never one inherited from the caller's shell.
        start.Environment.Remove(OpenBlasChoice.Variable);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("taskset did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        bool exited = process.WaitForExit(timeout);
        if (!exited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        File.WriteAllText(logPath, output.Result + errors.Result);
        if (!exited || process.ExitCode != 0)
        {
            string tail = string.Join('\n', File.ReadAllLines(logPath).TakeLast(20));
            throw new InvalidOperationException(
                $"{what} {(exited ? $"failed (exit code {process.ExitCode.ToString(CultureInfo.InvariantCulture)})" : "ran out of time")}; log {logPath}:\n{tail}");
        }
    }
}
