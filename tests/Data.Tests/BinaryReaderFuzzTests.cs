using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SemanticMIM.Data.Datasets;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Png;
using SemanticMIM.Data.Shards;
using TarReader = SemanticMIM.Data.Shards.TarReader;
using TarWriter = SemanticMIM.Data.Shards.TarWriter;

namespace SemanticMIM.Data.Tests;

/// <summary>
/// Seeded fuzzing of every binary reader of the data library: damaged IDX files, tar shards, PNG and JPEG images, label
/// maps and shard manifests. Each read either succeeds or fails with the reader's own clear error; nothing crashes the
/// process and nothing allocates more than the file could justify.
/// </summary>
public class BinaryReaderFuzzTests
{
    private const int Cases = 300;

    /// <summary>Bytes a reader may allocate for one damaged file of a few KB: no buffer sized by a lie in a header.</summary>
    private const long AllocationBound = 64L << 20;

    private static void Fuzz(string reader, byte[] valid, IReadOnlyList<int> fields, Action<byte[]> read, params Type[] clearErrors)
    {
        // string.GetHashCode differs from process to process: a seed of the reader's name that does not, so a failure repeats.
        var mutator = new BinaryMutator(seed: reader.Aggregate(17, (hash, c) => unchecked(hash * 31 + c)) & 0xFFFF);
        var failures = new List<string>();
        for (int i = 0; i < Cases; i++)
        {
            byte[] damaged = mutator.Mutate(valid, fields);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                read(damaged);
            }
            catch (Exception error) when (clearErrors.Contains(error.GetType()))
            {
                if (string.IsNullOrWhiteSpace(error.Message))
                    failures.Add($"case {i}: {error.GetType().Name} without a message");
            }
            catch (Exception error)
            {
                failures.Add($"case {i}: {error.GetType().Name}: {error.Message}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > AllocationBound)
                failures.Add($"case {i}: allocated {allocated} bytes for a file of {damaged.Length}");
        }
        Assert.True(failures.Count == 0, $"{reader}: {string.Join("\n", failures.Take(5))}");
    }

    [Fact]
    public void Damaged_idx_files_give_invalid_data_errors_naming_the_file()
    {
        using var folder = new TemporaryDirectory();
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 3);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 28);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), 28);
        byte[] valid = [.. header, .. new byte[3 * 784]];
        int n = 0;
        foreach (bool gzip in new[] { false, true })
        {
            Fuzz($"idx{(gzip ? ".gz" : "")}", valid, [4, 8, 12], bytes =>
            {
                string path = folder.Combine($"case-{n++}.idx{(gzip ? ".gz" : "")}");
                File.WriteAllBytes(path, gzip ? Gzip(bytes) : bytes);
                try
                {
                    using var idx = IdxFile.Open(path, expectedDimensions: 3);
                    var item = new byte[idx.ItemSize];
                    for (int i = 0; i < idx.Count; i++)
                        idx.ReadItem(item, i);
                }
                catch (InvalidDataException e)
                {
                    Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
                    throw;
                }
            }, typeof(InvalidDataException));
        }
    }

    [Fact]
    public void An_idx_header_announcing_more_than_the_file_holds_is_refused_before_reading()
    {
        using var folder = new TemporaryDirectory();
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), int.MaxValue);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 65536);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), 65536);
        string huge = folder.Write(header, "huge-items-idx3-ubyte");
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 28);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), 28);
        string many = folder.Write([.. header, .. new byte[784]], "many-items-idx3-ubyte");

        // 65536² overflowed the int item size to 0; the item buffer was then allocated from it.
        Assert.Contains("over the limit", Assert.Throws<InvalidDataException>(() => IdxFile.Open(huge, 3)).Message);
        Assert.Contains($"announces {int.MaxValue} items of 784 bytes", Assert.Throws<InvalidDataException>(() => IdxFile.Open(many, 3)).Message);
    }

    [Fact]
    public void Damaged_tar_shards_give_invalid_data_errors()
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, leaveOpen: true))
        {
            writer.Write("a.cls", "3"u8);
            writer.Write("a.png", ImageCodec.EncodePng(TestImages.Noise(8, 8, seed: 1)));
            writer.Write("b.cls", "7"u8);
        }
        // The size field is octal text: a lie there is written as digits, at the first entry's size.
        var fields = new List<int> { 124, 124 + 4, 148 };
        Fuzz("tar", buffer.ToArray(), fields, bytes => TarReader.Read(new MemoryStream(bytes), "fuzz.tar").ToList(), typeof(InvalidDataException));
    }

    [Fact]
    public void A_tar_entry_declaring_more_than_the_archive_holds_is_refused_before_its_buffer_is_allocated()
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, leaveOpen: true))
            writer.Write("a.png", new byte[10]);
        byte[] archive = buffer.ToArray();
        // 1.9 GB in octal, with the header checksum made right again: only the size lies.
        Encoding.ASCII.GetBytes("16000000000\0").CopyTo(archive, 124);
        Encoding.ASCII.GetBytes("        ").CopyTo(archive, 148);
        int sum = archive.Take(512).Sum(b => b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(archive, 148);
        long before = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<InvalidDataException>(() => TarReader.Read(new MemoryStream(archive), "shard-000000.tar").ToList());

        Assert.Equal("shard-000000.tar: truncated tar archive: entry a.png declares 1879048192 bytes, more than the archive holds.", error.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }

    [Fact]
    public void Damaged_png_images_are_corrupt_images()
    {
        byte[] png = ImageCodec.EncodePng(TestImages.Noise(24, 16, seed: 2));
        // IHDR's length, width and height; the first IDAT's length.
        Fuzz("png", png, [8, 16, 20, 33], bytes => ImageCodec.Decode(bytes, limits: new ImageLimits { MaxPixels = 1_000_000 }), typeof(CorruptImageException));
    }

    [Fact]
    public void Damaged_jpeg_images_are_corrupt_images()
    {
        byte[] jpeg = TestImages.Jpeg(32, 24);
        var fields = Enumerable.Range(2, Math.Min(jpeg.Length - 6, 200)).Where(i => jpeg[i] == 0xFF && jpeg[i + 1] != 0 && jpeg[i + 1] != 0xFF).Select(i => i + 2).ToList();
        Fuzz("jpeg", jpeg, fields, bytes => ImageCodec.Decode(bytes, limits: new ImageLimits { MaxPixels = 1_000_000 }), typeof(CorruptImageException));
    }

    [Fact]
    public void Damaged_label_maps_are_corrupt_or_unsupported()
    {
        var labels = new LabelMap(20, 12, Enumerable.Range(0, 240).Select(i => (byte)(i % 21)).ToArray());
        byte[] png = IndexedPngEncoder.EncodePalette(labels, ColorPalette.PascalVoc());
        Fuzz("label png", png, [8, 16, 20, 33], bytes => IndexedPngDecoder.Decode(bytes, new ImageLimits { MaxPixels = 1_000_000 }),
            typeof(CorruptImageException), typeof(NotSupportedException));
    }

    [Fact]
    public void Damaged_shard_manifests_give_invalid_data_errors_naming_the_manifest()
    {
        var manifest = new ShardManifest("imagenet", "train", 1000, 30,
            [new ShardInfo("shard-000000.tar", 10, 4096, new string('a', 64)), new ShardInfo("shard-000001.tar", 20, 8192, new string('b', 64))],
            [new SkippedSource("train/x/bad.jpg", "truncated image data", SkipKinds.Truncated)]);
        byte[] json = Encoding.UTF8.GetBytes(manifest.ToJson());
        var mutator = new BinaryMutator(seed: 7);
        Fuzz("manifest", json, [], bytes =>
        {
            string text = StructuralLie(Encoding.UTF8.GetString(bytes), mutator.Random);
            try
            {
                ShardManifest.FromJson(text, "datasets/x/train/manifest.json");
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith("datasets/x/train/manifest.json: ", e.Message, StringComparison.Ordinal);
                throw;
            }
        }, typeof(InvalidDataException));
    }

    // Replaces a value of the manifest with one of a wrong type or an extreme size.
    private static string StructuralLie(string json, Random random)
    {
        string[] lies = ["null", "-1", "2147483648", "99999999999999999999", "\"x\"", "[]", "{}", "\"../../etc/passwd\"", "\"a\\u0000b\"", "1e400", "true"];
        string[] keys = ["\"samples\": ", "\"bytes\": ", "\"name\": ", "\"sha256\": ", "\"total_samples\": ", "\"shards\": ", "\"skipped\": ", "\"num_classes\": "];
        string key = keys[random.Next(keys.Length)];
        int at = json.IndexOf(key, StringComparison.Ordinal);
        if (at < 0 || random.Next(3) == 0)
            return json;
        int start = at + key.Length;
        int end = start;
        int depth = 0;
        while (end < json.Length && (depth > 0 || (json[end] != ',' && json[end] != '}' && json[end] != '\n')))
        {
            depth += json[end] is '[' or '{' ? 1 : json[end] is ']' or '}' ? -1 : 0;
            end++;
        }
        return json[..start] + lies[random.Next(lies.Length)] + json[end..];
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(bytes);
        return output.ToArray();
    }
}
