namespace SemanticMIM.Data.Shards;

/// <summary>
/// Reads the regular files of a ustar (or plain POSIX/GNU) tar archive in order, checking each header's checksum.
/// Other entry types (directories, pax headers, links) are skipped. An entry's size is checked against what the stream
/// still holds (when it can tell) and against <c>maxEntryBytes</c> before its buffer is allocated, so a corrupt size
/// field gives an <see cref="InvalidDataException"/> naming the archive, never a huge allocation.
/// </summary>
public static class TarReader
{
    /// <summary>The largest entry read by default: far above any sample of a shard.</summary>
    public const long DefaultMaxEntryBytes = 256L << 20;

    /// <param name="source">Names the archive in errors (its path).</param>
    public static IEnumerable<TarEntry> Read(Stream input, string source = "tar archive", long maxEntryBytes = DefaultMaxEntryBytes)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEntryBytes);
        var header = new byte[UstarFormat.BlockSize];
        while (true)
        {
            var read = input.ReadAtLeast(header, UstarFormat.BlockSize, throwOnEndOfStream: false);
            if (read == 0)
                yield break;
            if (read < UstarFormat.BlockSize)
                throw new InvalidDataException($"{source}: truncated tar archive (partial header block).");
            if (header.All(b => b == 0))
                yield break;

            var stored = ReadField(header, UstarFormat.ChecksumOffset, UstarFormat.ChecksumLength, source);
            if (stored != UstarFormat.Checksum(header))
                throw new InvalidDataException($"{source}: tar header checksum mismatch (stored {stored}, computed {UstarFormat.Checksum(header)}).");
            var name = UstarFormat.ReadString(header, UstarFormat.NameOffset, UstarFormat.NameLength);
            if (header.AsSpan(UstarFormat.MagicOffset, 5).SequenceEqual("ustar"u8))
            {
                var prefix = UstarFormat.ReadString(header, UstarFormat.PrefixOffset, UstarFormat.PrefixLength);
                if (prefix.Length > 0)
                    name = prefix + "/" + name;
            }
            var size = ReadField(header, UstarFormat.SizeOffset, UstarFormat.SizeLength, source);
            long padded = size + UstarFormat.Padding(size);
            if (input.CanSeek && padded > input.Length - input.Position)
                throw new InvalidDataException($"{source}: truncated tar archive: entry {name} declares {size} bytes, more than the archive holds.");
            if (size > maxEntryBytes)
                throw new InvalidDataException($"{source}: tar entry {name} of {size} bytes is over the limit of {maxEntryBytes}.");
            var data = new byte[size];
            if (input.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) < data.Length)
                throw new InvalidDataException($"{source}: truncated tar archive: entry {name} is cut short.");
            var padding = new byte[UstarFormat.Padding(size)];
            if (input.ReadAtLeast(padding, padding.Length, throwOnEndOfStream: false) < padding.Length)
                throw new InvalidDataException($"{source}: truncated tar archive: padding after {name} is cut short.");

            var type = header[UstarFormat.TypeOffset];
            if (type is UstarFormat.RegularFile or UstarFormat.OldRegularFile)
                yield return new TarEntry(name, data);
        }
    }

    private static long ReadField(byte[] header, int offset, int length, string source)
    {
        try
        {
            return UstarFormat.ReadOctal(header, offset, length);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }
}
