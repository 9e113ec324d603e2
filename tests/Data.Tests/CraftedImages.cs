using System.Buffers.Binary;
using System.IO.Compression;
using SemanticMIM.Data.Png;

namespace SemanticMIM.Data.Tests;

/// <summary>Image files built byte by byte: headers that declare any size, over data of any length.</summary>
internal static class CraftedImages
{
    /// <summary>
    /// A well-formed PNG (valid chunk CRCs) whose IHDR declares <paramref name="width"/>×<paramref name="height"/> with
    /// <paramref name="rows"/> rows of zeros compressed in its IDAT: a handful of bytes that would inflate to a huge image.
    /// </summary>
    public static byte[] Png(uint width, uint height, byte colorType = 2, int rows = 1)
    {
        using var file = new MemoryStream();
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = colorType;
        Chunk(file, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                long stride = 1 + Math.Min(width, 1 << 20) * (colorType == 2 ? 3 : 1);
                var zeros = new byte[stride];
                for (int row = 0; row < rows; row++)
                    zlib.Write(zeros);
            }
            Chunk(file, "IDAT", compressed.ToArray());
        }
        Chunk(file, "IEND", []);
        return file.ToArray();
    }

    /// <summary>SOI, a baseline SOF0 declaring the size, then EOI: a header with no image data behind it.</summary>
    public static byte[] JpegHeader(ushort width, ushort height) =>
    [
        0xFF, 0xD8,
        0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
        0xFF, 0xC0, 0x00, 0x0B, 8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 1, 1, 0x11, 0,
        0xFF, 0xD9,
    ];

    private static void Chunk(Stream file, string type, byte[] data)
    {
        Span<byte> field = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(field, (uint)data.Length);
        file.Write(field);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        file.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(field, Crc32.Compute(typed));
        file.Write(field);
    }
}
