using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace SemanticMIM.Model;

/// <summary>Whether libtorch's MKL was let take its AVX-512 kernels in this process, and why not.</summary>
public enum FastBlasState
{
    /// <summary>The shim is in the global symbol scope, ahead of libtorch: MKL takes its AVX-512 kernels.</summary>
    On,

    /// <summary><see cref="FastBlas.Variable"/> turned it off.</summary>
    SwitchedOff,

    /// <summary>The CPU lacks AVX-512 (F, BW, DQ, VL), which those kernels need: never applied there.</summary>
    NoAvx512,

    /// <summary>Not Linux, or the shim was not built next to the assembly (no C compiler at build time).</summary>
    Unavailable,

    /// <summary>libtorch was already loaded, so MKL had bound its own check: call <see cref="FastBlas.Enable"/> earlier.</summary>
    TooLate,
}

/// <summary>
/// libtorch's oneMKL gives non-Intel CPUs its generic kernels, even CPUs with AVX-512 (AMD EPYC here: large fp32
/// SGEMMs at ~150 instead of ~340 GFLOP/s on 2 cores). MKL decides through <c>mkl_serv_intel_cpu_true</c>, which
/// libtorch_cpu.so exports and calls through its PLT; loading a library that defines it (built from
/// <c>src/Build/MklIntelCpuShim.c</c>) into the global scope before libtorch is loaded makes every later binding of
/// that symbol find ours, with the effect of <c>LD_PRELOAD</c> but without restarting the process. Every entry point
/// that computes with TorchSharp calls <see cref="Enable"/> first; it applies only on CPUs with AVX-512 and
/// <see cref="Variable"/>=0 turns it off.
/// </summary>
public static partial class FastBlas
{
    /// <summary>Set to 0 (or off, false) to keep MKL's own CPU dispatch.</summary>
    public const string Variable = "SEMANTICMIM_FAST_BLAS";

    /// <summary>The shim's file name in the build and publish output (src/Build/FastBlasShim.targets).</summary>
    public const string ShimFileName = "libsemanticmim_mkl_intel_cpu.so";

    private const int RtldNow = 0x2;
    private const int RtldGlobal = 0x100;

    private static readonly Lock Gate = new();
    private static FastBlasState? _state;

    /// <summary>What <see cref="Enable"/> decided, or null before it ran.</summary>
    public static FastBlasState? State
    {
        get
        {
            lock (Gate)
            {
                return _state;
            }
        }
    }

    /// <summary>Whether this CPU has the AVX-512 subsets MKL's AVX-512 kernels use.</summary>
    public static bool CpuSupportsAvx512 =>
        Avx512F.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported;

    /// <summary>Decides once per process, before anything loads libtorch; later calls return the first decision.</summary>
    public static FastBlasState Enable()
    {
        lock (Gate)
        {
            _state ??= Decide();
            return _state.Value;
        }
    }

    private static FastBlasState Decide()
    {
        string setting = (Environment.GetEnvironmentVariable(Variable) ?? "").Trim().ToLowerInvariant();
        if (setting is "0" or "off" or "false")
        {
            return FastBlasState.SwitchedOff;
        }
        if (!CpuSupportsAvx512)
        {
            return FastBlasState.NoAvx512;
        }
        string shim = Path.Combine(AppContext.BaseDirectory, ShimFileName);
        if (!OperatingSystem.IsLinux() || !File.Exists(shim))
        {
            return FastBlasState.Unavailable;
        }
        if (LibtorchLoaded())
        {
            return FastBlasState.TooLate;
        }
        return DlOpen(shim, RtldNow | RtldGlobal) == 0 ? FastBlasState.Unavailable : FastBlasState.On;
    }

    private static bool LibtorchLoaded() =>
        File.ReadLines("/proc/self/maps").Any(line => line.EndsWith("/libtorch_cpu.so", StringComparison.Ordinal));

    // .NET's NativeLibrary.Load opens libraries RTLD_LOCAL; only dlopen itself puts one in the global scope.
    [LibraryImport("libc.so.6", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint DlOpen(string path, int flags);
}
