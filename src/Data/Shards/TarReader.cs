namespace SemanticMIM.Data.Shards;

/// <summary>
/// Reads the regular files of a ustar (or plain POSIX/GNU) tar archive in order, checking each header's checksum.
/// Other entry types (directories, pax headers, links) are skipped.
/// </summary>
public static class TarReader
{
    public static IEnumerable<TarEntry> Read(Stream input)
    {
        var header = new byte[UstarFormat.BlockSize];
        while (true)
        {
            var read = input.ReadAtLeast(header, UstarFormat.BlockSize, throwOnEndOfStream: false);
            if (read == 0)
                yield break;
            if (read < UstarFormat.BlockSize)
                throw new InvalidDataException("Truncated tar archive: partial header block.");
            if (header.All(b => b == 0))
                yield break;

            var stored = UstarFormat.ReadOctal(header, UstarFormat.ChecksumOffset, UstarFormat.ChecksumLength);
            if (stored != UstarFormat.Checksum(header))
                throw new InvalidDataException($"Tar header checksum mismatch (stored {stored}, computed {UstarFormat.Checksum(header)}).");
            var name = UstarFormat.ReadString(header, UstarFormat.NameOffset, UstarFormat.NameLength);
            if (header.AsSpan(UstarFormat.MagicOffset, 5).SequenceEqual("ustar"u8))
            {
                var prefix = UstarFormat.ReadString(header, UstarFormat.PrefixOffset, UstarFormat.PrefixLength);
                if (prefix.Length > 0)
                    name = prefix + "/" + name;
            }
            var size = UstarFormat.ReadOctal(header, UstarFormat.SizeOffset, UstarFormat.SizeLength);
            if (size > Array.MaxLength)
                throw new InvalidDataException($"Tar entry {name} of {size} bytes is too large to read into memory.");
            var data = new byte[size];
            if (input.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) < data.Length)
                throw new InvalidDataException($"Truncated tar archive: entry {name} is cut short.");
            var padding = new byte[UstarFormat.Padding(size)];
            if (input.ReadAtLeast(padding, padding.Length, throwOnEndOfStream: false) < padding.Length)
                throw new InvalidDataException($"Truncated tar archive: padding after {name} is cut short.");

            var type = header[UstarFormat.TypeOffset];
            if (type is UstarFormat.RegularFile or UstarFormat.OldRegularFile)
                yield return new TarEntry(name, data);
        }
    }
}
