using System.Buffers.Binary;

namespace SemanticMIM.Data.Imaging;

/// <summary>
/// An image's dimensions from its header alone (PNG's IHDR, a JPEG's SOF segment), so that a reader can refuse an image
/// before a decoder allocates anything for it. Every length read from the file is checked against the bytes there.
/// </summary>
public static class ImageHeader
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Width and height of a PNG or JPEG; null for another format.</summary>
    /// <exception cref="CorruptImageException">A PNG or JPEG whose header is cut short or broken.</exception>
    public static (long Width, long Height)? Read(ReadOnlySpan<byte> image)
    {
        if (image.StartsWith(PngSignature))
        {
            return Png(image);
        }
        if (image.Length >= 2 && image[0] == 0xFF && image[1] == 0xD8)
        {
            return Jpeg(image);
        }
        return null;
    }

    // Signature, then the IHDR chunk first: length (13), "IHDR", width, height (big-endian).
    private static (long, long) Png(ReadOnlySpan<byte> image)
    {
        if (image.Length < 24)
        {
            throw new CorruptImageException("truncated PNG header", ImageProblem.Truncated);
        }
        if (!image.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            throw new CorruptImageException("PNG does not start with an IHDR chunk");
        }
        return (BinaryPrimitives.ReadUInt32BigEndian(image[16..]), BinaryPrimitives.ReadUInt32BigEndian(image[20..]));
    }

    // Segments after SOI: 0xFF, a marker, and (except for the standalone markers) a big-endian length that counts itself.
    // The first start-of-frame segment holds precision, height and width.
    private static (long, long) Jpeg(ReadOnlySpan<byte> image)
    {
        int at = 2;
        while (true)
        {
            while (at < image.Length && image[at] == 0xFF && at + 1 < image.Length && image[at + 1] == 0xFF)
            {
                at++; // fill bytes before a marker
            }
            if (at + 1 >= image.Length)
            {
                throw new CorruptImageException("JPEG ends before its frame header", ImageProblem.Truncated);
            }
            if (image[at] != 0xFF)
            {
                throw new CorruptImageException($"JPEG has no marker at byte {at}");
            }
            byte marker = image[at + 1];
            at += 2;
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                continue;
            }
            if (marker is 0xD9 or 0xDA)
            {
                throw new CorruptImageException("JPEG has no frame header before its image data");
            }
            if (at + 2 > image.Length)
            {
                throw new CorruptImageException("JPEG ends inside a segment header", ImageProblem.Truncated);
            }
            int length = BinaryPrimitives.ReadUInt16BigEndian(image[at..]);
            if (length < 2)
            {
                throw new CorruptImageException($"JPEG segment 0xFF{marker:X2} has length {length}");
            }
            if (IsStartOfFrame(marker))
            {
                if (length < 8 || at + 7 > image.Length)
                {
                    throw new CorruptImageException("JPEG frame header is cut short", ImageProblem.Truncated);
                }
                return (BinaryPrimitives.ReadUInt16BigEndian(image[(at + 5)..]), BinaryPrimitives.ReadUInt16BigEndian(image[(at + 3)..]));
            }
            at += length;
        }
    }

    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    private static bool IsStartOfFrame(byte marker) => marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC);
}
