using System.Globalization;

namespace SemanticMIM.Benchmarks;

/// <summary>This process's resident memory from <c>/proc/self/status</c>, as both sides of a pair read it.</summary>
public static class ProcessMemory
{
    /// <summary>Resident memory now (VmRSS).</summary>
    public static long ResidentBytes => Field("VmRSS");

    /// <summary>Peak resident memory of the process so far (VmHWM).</summary>
    public static long PeakResidentBytes => Field("VmHWM");

    private static long Field(string name)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
            {
                var kilobytes = line[(name.Length + 1)..].Trim().Split(' ')[0];
                return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidOperationException($"/proc/self/status has no {name}");
    }
}
