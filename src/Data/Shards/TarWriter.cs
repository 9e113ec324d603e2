using System.Text;

namespace SemanticMIM.Data.Shards;

/// <summary>
/// Writes a POSIX ustar archive of regular files. Headers carry fixed metadata (mode 0644, owner 0, time 0) so equal
/// content gives byte-identical archives. <see cref="Dispose"/> writes the two zero blocks that end the archive.
/// </summary>
public sealed class TarWriter(Stream output, bool leaveOpen = false) : IDisposable
{
    private bool _finished;

    /// <summary>Bytes written so far, including headers and padding.</summary>
    public long Position { get; private set; }

    /// <summary>The archive bytes one entry of <paramref name="dataLength"/> bytes adds.</summary>
    public static long EntrySize(long dataLength) => UstarFormat.BlockSize + dataLength + UstarFormat.Padding(dataLength);

    /// <summary>The bytes that end an archive.</summary>
    public const int EndOfArchiveSize = 2 * UstarFormat.BlockSize;

    public void Write(string name, ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        Span<byte> header = stackalloc byte[UstarFormat.BlockSize];
        header.Clear();
        WriteName(header, name);
        UstarFormat.WriteOctal(header, UstarFormat.ModeOffset, 8, Convert.ToInt32("644", 8));
        UstarFormat.WriteOctal(header, UstarFormat.UidOffset, 8, 0);
        UstarFormat.WriteOctal(header, UstarFormat.GidOffset, 8, 0);
        UstarFormat.WriteOctal(header, UstarFormat.SizeOffset, UstarFormat.SizeLength, data.Length);
        UstarFormat.WriteOctal(header, UstarFormat.MtimeOffset, 12, 0);
        header[UstarFormat.TypeOffset] = UstarFormat.RegularFile;
        "ustar\0"u8.CopyTo(header[UstarFormat.MagicOffset..]);
        "00"u8.CopyTo(header[UstarFormat.VersionOffset..]);
        // The checksum field is six octal digits, a NUL and a space.
        var checksum = Convert.ToString(UstarFormat.Checksum(header), 8).PadLeft(6, '0');
        Encoding.ASCII.GetBytes(checksum, header[UstarFormat.ChecksumOffset..]);
        header[UstarFormat.ChecksumOffset + 6] = 0;
        header[UstarFormat.ChecksumOffset + 7] = (byte)' ';

        output.Write(header);
        output.Write(data);
        var padding = (int)UstarFormat.Padding(data.Length);
        if (padding > 0)
            output.Write(new byte[padding]);
        Position += EntrySize(data.Length);
    }

    public void Dispose()
    {
        if (_finished)
            return;
        _finished = true;
        output.Write(new byte[EndOfArchiveSize]);
        Position += EndOfArchiveSize;
        output.Flush();
        if (!leaveOpen)
            output.Dispose();
    }

    /// <summary>Names up to 100 bytes go in the name field; longer ones are split at a '/' into prefix (155) and name (100).</summary>
    private static void WriteName(Span<byte> header, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var bytes = Encoding.UTF8.GetBytes(name);
        if (bytes.Length <= UstarFormat.NameLength)
        {
            bytes.CopyTo(header);
            return;
        }
        for (var split = bytes.Length - 1; split > 0; split--)
        {
            if (bytes[split] != (byte)'/' || split > UstarFormat.PrefixLength || bytes.Length - split - 1 > UstarFormat.NameLength)
                continue;
            bytes.AsSpan(0, split).CopyTo(header[UstarFormat.PrefixOffset..]);
            bytes.AsSpan(split + 1).CopyTo(header);
            return;
        }
        throw new ArgumentException($"Tar entry name '{name}' is too long for the ustar format.", nameof(name));
    }
}
