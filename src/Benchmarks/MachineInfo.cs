using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SemanticMIM.Benchmarks;

/// <summary>The CPU every figure of a suite run was measured on.</summary>
public sealed record CpuInfo(string Model, IReadOnlyList<string> Flags, int LogicalCores)
{
    /// <summary>This machine's, from <c>/proc/cpuinfo</c>.</summary>
    public static CpuInfo Read()
    {
        string model = "unknown";
        IReadOnlyList<string> flags = [];
        foreach (var line in File.ReadLines("/proc/cpuinfo"))
        {
            var (key, value) = Split(line);
            if (key == "model name" && model == "unknown")
            {
                model = value;
            }
            else if (key == "flags" && flags.Count == 0)
            {
                flags = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
        }
        return new CpuInfo(model, flags, Environment.ProcessorCount);
    }

    public bool Has(params string[] flags) => flags.All(Flags.Contains);

    private static (string Key, string Value) Split(string line)
    {
        int colon = line.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (line.Trim(), "") : (line[..colon].Trim(), line[(colon + 1)..].Trim());
    }
}

/// <summary>
/// The OpenBLAS kernel type the PyTorch side runs with. Debian's OpenBLAS does not recognise some CPUs (these AMD
/// EPYCs: core "Prescott", no AVX), which leaves PyTorch ~4× slower than it can be; then the suite names the
/// kernels the CPU's flags allow (SkylakeX with AVX-512, Haswell with AVX2 and FMA), as a user tuning PyTorch would.
/// </summary>
public sealed record OpenBlasChoice(string Detected, string? Set, string Reason)
{
    public const string Variable = "OPENBLAS_CORETYPE";

    private static readonly string[] Avx512Cores = ["SkylakeX", "Cooperlake", "SapphireRapids"];
    private static readonly string[] Avx2Cores = ["Haswell", "Zen", .. Avx512Cores];

    /// <summary>
    /// Asks OpenBLAS (through <paramref name="python"/>'s torch, without <see cref="Variable"/>) which core it detects and
    /// picks the kernels from the CPU's flags; <paramref name="requested"/> overrides the choice. A value inherited from
    /// the environment is not used: the suite sets the variable on the peer itself, from this decision.
    /// </summary>
    public static OpenBlasChoice Decide(string python, CpuInfo cpu, string? requested = null)
    {
        if (requested is { Length: > 0 })
        {
            return new OpenBlasChoice("not asked", requested, "asked for with --openblas-coretype");
        }
        string detected = DetectedCore(python);
        if (cpu.Has("avx512f", "avx512bw", "avx512dq", "avx512vl") && !Avx512Cores.Contains(detected))
        {
            return new OpenBlasChoice(detected, "SkylakeX", $"OpenBLAS detected '{detected}' on a CPU with AVX-512");
        }
        if (cpu.Has("avx2", "fma") && !Avx2Cores.Contains(detected))
        {
            return new OpenBlasChoice(detected, "Haswell", $"OpenBLAS detected '{detected}' on a CPU with AVX2 and FMA");
        }
        return new OpenBlasChoice(detected, null, "OpenBLAS recognised the CPU");
    }

    // OPENBLAS_VERBOSE=2 makes OpenBLAS print "Core: <name>" when it loads.
    private static string DetectedCore(string python)
    {
        var start = new ProcessStartInfo(python, ["-c", "import torch; torch.ones(8, 8) @ torch.ones(8, 8)"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["OPENBLAS_VERBOSE"] = "2";
        start.Environment.Remove(Variable);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{python} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        foreach (var line in (output.Result + "\n" + errors).Split('\n'))
        {
            if (line.Trim().StartsWith("Core:", StringComparison.Ordinal))
            {
                return line.Trim()["Core:".Length..].Trim();
            }
        }
        return "unknown (no OPENBLAS_VERBOSE line: PyTorch may not use OpenBLAS)";
    }
}

/// <summary>The machine and software of a suite run, recorded with its figures.</summary>
public sealed record MachineInfo
{
    /// <summary><c>cpu</c> here; the GPU check (issue 15) writes <c>cuda</c> and names the GPU.</summary>
    public required string Device { get; init; }

    public string? Gpu { get; init; }

    public required CpuInfo Cpu { get; init; }

    public required string PinnedCores { get; init; }

    public required int Threads { get; init; }

    public required OpenBlasChoice OpenBlas { get; init; }

    public required string Os { get; init; }

    public static MachineInfo Describe(CpuInfo cpu, string cores, int threads, OpenBlasChoice openBlas) => new()
    {
        Device = "cpu",
        Cpu = cpu,
        PinnedCores = cores,
        Threads = threads,
        OpenBlas = openBlas,
        Os = RuntimeInformation.OSDescription,
    };
}
