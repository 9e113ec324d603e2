using System.Buffers.Binary;
using System.IO.Compression;

namespace SemanticMIM.Data.Datasets;

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST, optionally gzip-compressed: a big-endian magic number
/// (0x0000, element type 0x08 = unsigned byte, number of dimensions), one big-endian int32 per dimension, then the data.
/// The header is checked before anything is allocated for it: an item of at most <see cref="MaxItemBytes"/>, a product
/// of dimensions that does not overflow, and, uncompressed, a file that holds every item the header announces.
/// </summary>
public sealed class IdxFile : IDisposable
{
    /// <summary>The largest item read (16 MiB): far above any image of an IDX data set.</summary>
    public const int MaxItemBytes = 1 << 24;

    private const byte UnsignedByteType = 0x08;
    private readonly Stream _stream;

    private IdxFile(string path, Stream stream, int[] dimensions, int itemSize)
    {
        Path = path;
        _stream = stream;
        Dimensions = dimensions;
        ItemSize = itemSize;
    }

    public string Path { get; }

    /// <summary>The dimensions from the header; the first is the item count.</summary>
    public IReadOnlyList<int> Dimensions { get; }

    public int Count => Dimensions[0];

    /// <summary>Bytes per item: the product of the dimensions after the first.</summary>
    public int ItemSize { get; }

    /// <summary>Opens the file and checks its header: unsigned bytes, <paramref name="expectedDimensions"/> dimensions.</summary>
    public static IdxFile Open(string path, int expectedDimensions)
    {
        Stream stream = File.OpenRead(path);
        long fileBytes = stream.Length;
        bool compressed = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        try
        {
            if (compressed)
                stream = new BufferedStream(new GZipStream(stream, CompressionMode.Decompress), 1 << 16);
            Span<byte> magic = stackalloc byte[4];
            ReadHeader(stream, magic, path, "magic number");
            if (magic[0] != 0 || magic[1] != 0 || magic[2] != UnsignedByteType || magic[3] != expectedDimensions)
                throw new InvalidDataException(
                    $"{path}: magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(magic):X8} is not an IDX file of unsigned bytes " +
                    $"with {expectedDimensions} dimensions (expected 0x{0x800 + expectedDimensions:X8}).");
            var dimensions = new int[expectedDimensions];
            Span<byte> size = stackalloc byte[4];
            for (var i = 0; i < dimensions.Length; i++)
            {
                ReadHeader(stream, size, path, $"dimension {i}");
                dimensions[i] = BinaryPrimitives.ReadInt32BigEndian(size);
                if (dimensions[i] <= 0)
                    throw new InvalidDataException($"{path}: dimension {i} is {dimensions[i]}.");
            }
            // Multiplied in longs and capped at each step: dimensions come from the file and their product can overflow.
            long itemSize = 1;
            foreach (var dimension in dimensions.Skip(1))
            {
                itemSize *= dimension;
                if (itemSize > MaxItemBytes)
                    throw new InvalidDataException($"{path}: items of [{string.Join(", ", dimensions.Skip(1))}] bytes are over the limit of {MaxItemBytes}.");
            }
            long headerBytes = 4 + 4L * expectedDimensions;
            long dataBytes = dimensions[0] * itemSize;
            if (!compressed && headerBytes + dataBytes != fileBytes)
                throw new InvalidDataException(
                    $"{path}: the header announces {dimensions[0]} items of {itemSize} bytes ({headerBytes + dataBytes} bytes with the header), but the file has {fileBytes}.");
            return new IdxFile(path, stream, dimensions, (int)itemSize);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads the next item (one image or one label) into <paramref name="item"/>.</summary>
    public void ReadItem(Span<byte> item, int index)
    {
        if (item.Length != ItemSize)
            throw new ArgumentException($"Buffer of {item.Length} bytes for items of {ItemSize}.", nameof(item));
        try
        {
            _stream.ReadExactly(item);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{Path}: truncated at item {index} of {Count} announced in the header.", e);
        }
        catch (InvalidDataException e)
        {
            // A damaged gzip stream says what is wrong but not in which file.
            throw new InvalidDataException($"{Path}: unreadable at item {index}: {e.Message}", e);
        }
    }

    /// <summary>Moves past <paramref name="count"/> items: the (possibly gzip) stream only reads forward.</summary>
    public void SkipItems(int count)
    {
        var scratch = new byte[ItemSize];
        for (int item = 0; item < count; item++)
        {
            ReadItem(scratch, item);
        }
    }

    public void Dispose() => _stream.Dispose();

    private static void ReadHeader(Stream stream, Span<byte> buffer, string path, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: file ends inside the header ({what}).", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: unreadable header ({what}): {e.Message}", e);
        }
    }
}
