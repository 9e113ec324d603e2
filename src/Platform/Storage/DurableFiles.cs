using System.Runtime.InteropServices;

namespace SemanticMIM.Platform.Storage;

/// <summary>
/// Makes a written file survive a crash of the machine, not only of the process: the file's data is flushed to the
/// disk before it is renamed into place, and the folder that holds the new name is flushed after (POSIX needs both).
/// </summary>
internal static class DurableFiles
{
    /// <summary>Flushes a folder's entries (a rename into it) to the disk; false where the platform cannot (Windows).</summary>
    public static bool FlushFolder(string folder)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return false;
        }
        int descriptor = Open(folder, ReadOnly);
        if (descriptor < 0)
        {
            throw new IOException($"cannot open folder {folder} to flush it (errno {Marshal.GetLastPInvokeError()})");
        }
        try
        {
            if (Fsync(descriptor) != 0)
            {
                throw new IOException($"cannot flush folder {folder} (errno {Marshal.GetLastPInvokeError()})");
            }
            return true;
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    private const int ReadOnly = 0;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int descriptor);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int descriptor);
}
