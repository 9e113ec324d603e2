using System.Text;

namespace SemanticMIM.Data.Shards;

/// <summary>Field offsets and helpers of the POSIX ustar header (one 512-byte block per entry).</summary>
internal static class UstarFormat
{
    public const int BlockSize = 512;
    public const int NameOffset = 0, NameLength = 100;
    public const int ModeOffset = 100;
    public const int UidOffset = 108;
    public const int GidOffset = 116;
    public const int SizeOffset = 124, SizeLength = 12;
    public const int MtimeOffset = 136;
    public const int ChecksumOffset = 148, ChecksumLength = 8;
    public const int TypeOffset = 156;
    public const int MagicOffset = 257;
    public const int VersionOffset = 263;
    public const int PrefixOffset = 345, PrefixLength = 155;

    public const byte RegularFile = (byte)'0';
    public const byte OldRegularFile = 0;

    /// <summary>Sum of the header's bytes with the checksum field counted as eight spaces.</summary>
    public static int Checksum(ReadOnlySpan<byte> header)
    {
        var sum = 0;
        for (var i = 0; i < BlockSize; i++)
            sum += i is >= ChecksumOffset and < ChecksumOffset + ChecksumLength ? ' ' : header[i];
        return sum;
    }

    public static long Padding(long size) => (BlockSize - size % BlockSize) % BlockSize;

    /// <summary>Zero-padded octal digits filling the field except for its terminating NUL.</summary>
    public static void WriteOctal(Span<byte> header, int offset, int length, long value)
    {
        var digits = Convert.ToString(value, 8).PadLeft(length - 1, '0');
        if (digits.Length > length - 1)
            throw new ArgumentOutOfRangeException(nameof(value), value, $"Does not fit a {length}-byte tar field.");
        Encoding.ASCII.GetBytes(digits, header.Slice(offset, length - 1));
        header[offset + length - 1] = 0;
    }

    public static long ReadOctal(ReadOnlySpan<byte> header, int offset, int length)
    {
        var text = Encoding.ASCII.GetString(header.Slice(offset, length)).Trim(' ', '\0');
        if (text.Length == 0)
            return 0;
        long value = 0;
        foreach (var ch in text)
        {
            if (ch is < '0' or > '7')
                throw new InvalidDataException($"tar header field at offset {offset} is not octal: '{text}'.");
            value = value * 8 + (ch - '0');
        }
        return value;
    }

    public static string ReadString(ReadOnlySpan<byte> header, int offset, int length)
    {
        var field = header.Slice(offset, length);
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }
}
