using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.GpuCheck;

/// <summary>
/// Peak memory measured the same way on both sides of a comparison. On a GPU: the device's used memory (NVML) now,
/// less what was used before this process touched CUDA. Both libtorch's and PyTorch's caching allocators keep what
/// they reserved, so after a run this is the run's peak reservation plus the CUDA context, and it needs no
/// allocator statistics (TorchSharp exposes none). It assumes nothing else uses the GPU meanwhile. On the CPU: the
/// process's peak resident set (VmHWM).
/// </summary>
internal sealed class PeakMemory
{
    private readonly ulong? _baseline;

    private PeakMemory(ulong? baseline)
    {
        _baseline = baseline;
    }

    /// <summary>Takes the baseline; call before the first CUDA operation.</summary>
    public static PeakMemory Start() => new(Nvml.DeviceUsedBytes());

    /// <summary>Bytes as described above, or null where neither NVML nor /proc answers.</summary>
    public long? Bytes(Device device)
    {
        if (device.type == DeviceType.CUDA)
        {
            return Nvml.DeviceUsedBytes() is { } used && _baseline is { } baseline ? (long)(used - baseline) : null;
        }
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>The few NVML calls needed, on GPU 0 (NVML numbers devices regardless of CUDA_VISIBLE_DEVICES).</summary>
    private static class Nvml
    {
        private const string Library = "libnvidia-ml.so.1";

        [StructLayout(LayoutKind.Sequential)]
        private struct MemoryInfo
        {
            public ulong Total;
            public ulong Free;
            public ulong Used;
        }

        [DllImport(Library, EntryPoint = "nvmlInit_v2")]
        private static extern int Init();

        [DllImport(Library, EntryPoint = "nvmlDeviceGetHandleByIndex_v2")]
        private static extern int DeviceByIndex(uint index, out IntPtr device);

        [DllImport(Library, EntryPoint = "nvmlDeviceGetMemoryInfo")]
        private static extern int MemoryOf(IntPtr device, out MemoryInfo memory);

        public static ulong? DeviceUsedBytes()
        {
            try
            {
                if (Init() != 0 || DeviceByIndex(0, out var device) != 0 || MemoryOf(device, out var memory) != 0)
                {
                    return null;
                }
                return memory.Used;
            }
            catch (DllNotFoundException)
            {
                return null;
            }
        }
    }
}
