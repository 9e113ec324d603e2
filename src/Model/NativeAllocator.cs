using System.Runtime.InteropServices;

namespace SemanticMIM.Model;

/// <summary>Which allocator serves libtorch's tensors in this process, and why not tcmalloc.</summary>
public enum NativeAllocatorState
{
    /// <summary>tcmalloc was preloaded: every malloc of the process, libtorch's included, is its.</summary>
    TcMalloc,

    /// <summary><see cref="NativeAllocator.Variable"/> turned it off: glibc's malloc.</summary>
    SwitchedOff,

    /// <summary>Not Linux, or no tcmalloc library found (Debian: <c>libtcmalloc-minimal4</c>): glibc's malloc.</summary>
    Unavailable,

    /// <summary>The process was started again with tcmalloc in LD_PRELOAD, but the loader did not load it: glibc's malloc.</summary>
    PreloadFailed,
}

/// <summary>
/// glibc's malloc keeps the tensors a training step frees in fragmented arenas: a ViT-B/16 step's resident memory
/// still rises by hundreds of MiB after the second step and moves by tens of MiB from step to step, where PyTorch's
/// stays within tens. With tcmalloc the same process is flat from the second step, with a lower peak, the same speed
/// and the same losses. An allocator has to be in place before the process's first allocation, so <see cref="Use"/>,
/// the first call of every entry point, starts the process again (execve: same process id, arguments and descriptors)
/// with tcmalloc in LD_PRELOAD when a tcmalloc library is installed; <see cref="Variable"/>=0 turns it off, and a
/// path there names another library.
/// </summary>
public static partial class NativeAllocator
{
    /// <summary>0 (or off, false) keeps glibc's malloc; a path names the tcmalloc library to preload.</summary>
    public const string Variable = "SEMANTICMIM_TCMALLOC";

    /// <summary>
    /// Set on the restarted process to the LD_PRELOAD it was first started with: it marks the restart (a preload that did
    /// not take is not retried), and the restarted process puts that LD_PRELOAD back, so the processes it starts (a
    /// PyTorch peer, a service) inherit what it was given and decide for themselves.
    /// </summary>
    private const string RestartedVariable = "SEMANTICMIM_TCMALLOC_RESTARTED";

    /// <summary>Where Debian and Ubuntu (libtcmalloc-minimal4) and RPM distributions (gperftools-libs) install it.</summary>
    public static readonly IReadOnlyList<string> KnownLibraries =
    [
        "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
        "/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4",
        "/usr/lib64/libtcmalloc_minimal.so.4",
    ];

    private static readonly Lock Gate = new();
    private static NativeAllocatorState? _state;

    /// <summary>What <see cref="Use"/> decided, or null before it ran.</summary>
    public static NativeAllocatorState? State
    {
        get
        {
            lock (Gate)
            {
                return _state;
            }
        }
    }

    /// <summary>
    /// Restarts the process with tcmalloc preloaded when it should be and is not (this call then does not return), and
    /// says which allocator the process has. Call it first, before the process starts threads of its own.
    /// </summary>
    public static NativeAllocatorState Use()
    {
        lock (Gate)
        {
            _state ??= Decide();
            return _state.Value;
        }
    }

    /// <summary>What to do, from the setting, whether tcmalloc is mapped already, whether this is the restarted process.</summary>
    /// <returns>The allocator the process has, or will have once restarted with <c>Preload</c> (null: no restart).</returns>
    public static (NativeAllocatorState State, string? Preload) Plan(string? setting, bool loaded, bool restarted, Func<string, bool> exists)
    {
        string value = (setting ?? "").Trim();
        if (value.ToLowerInvariant() is "0" or "off" or "false")
        {
            return (NativeAllocatorState.SwitchedOff, null);
        }
        if (loaded)
        {
            return (NativeAllocatorState.TcMalloc, null);
        }
        if (restarted)
        {
            return (NativeAllocatorState.PreloadFailed, null);
        }
        string? library = value.ToLowerInvariant() is "" or "1" or "on" or "true" ? KnownLibraries.FirstOrDefault(exists) : exists(value) ? value : null;
        return library is null ? (NativeAllocatorState.Unavailable, null) : (NativeAllocatorState.TcMalloc, library);
    }

    /// <summary>LD_PRELOAD with <paramref name="library"/> first, ahead of what the variable held.</summary>
    public static string Preloads(string library, string? current) =>
        string.IsNullOrWhiteSpace(current) ? library : $"{library}:{current}";

    private static NativeAllocatorState Decide()
    {
        if (!OperatingSystem.IsLinux())
        {
            return NativeAllocatorState.Unavailable;
        }
        bool loaded = File.ReadAllText("/proc/self/maps").Contains("libtcmalloc", StringComparison.Ordinal);
        string? startedWith = Environment.GetEnvironmentVariable(RestartedVariable);
        if (startedWith is not null)
        {
            Environment.SetEnvironmentVariable("LD_PRELOAD", startedWith.Length == 0 ? null : startedWith);
            Environment.SetEnvironmentVariable(RestartedVariable, null);
        }
        var (state, library) = Plan(Environment.GetEnvironmentVariable(Variable), loaded, startedWith is not null, File.Exists);
        if (library is null)
        {
            return state;
        }
        Restart(library);
        // execve returned: the process goes on as it is.
        return NativeAllocatorState.PreloadFailed;
    }

    /// <summary>Replaces this process by itself (same executable and arguments) with <paramref name="library"/> preloaded.</summary>
    private static void Restart(string library)
    {
        var arguments = File.ReadAllText("/proc/self/cmdline").Split('\0');
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(entry => (string)entry.Key, entry => (string?)entry.Value ?? "", StringComparer.Ordinal);
        string? preloads = environment.GetValueOrDefault("LD_PRELOAD");
        environment[RestartedVariable] = preloads ?? "";
        environment["LD_PRELOAD"] = Preloads(library, preloads);
        // /proc/self/cmdline ends with a NUL: its last field is empty.
        var argv = Strings(arguments[..^1]);
        var envp = Strings(environment.Select(pair => $"{pair.Key}={pair.Value}").ToArray());
        try
        {
            execve("/proc/self/exe", argv, envp);
        }
        finally
        {
            foreach (var pointer in argv.Concat(envp))
            {
                Marshal.FreeCoTaskMem(pointer);
            }
        }
    }

    /// <summary>NUL-terminated UTF-8 strings and a null pointer after the last, as execve takes them.</summary>
    private static IntPtr[] Strings(string[] values) => [.. values.Select(Marshal.StringToCoTaskMemUTF8), IntPtr.Zero];

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int execve(string path, IntPtr[] argv, IntPtr[] envp);
}
