using System.Buffers.Binary;
using System.IO.Compression;
using SemanticMIM.Data.Datasets;

namespace SemanticMIM.Data.Tests;

public class FashionMnistTests
{
    [Theory]
    [InlineData("train", 60_000)]
    [InlineData("test", 10_000)]
    public void Real_files_announce_the_published_counts(string split, int count) =>
        Assert.Equal(count, new FashionMnistReader(split).Count);

    [Fact]
    public void Real_files_give_28x28_grayscale_images_with_labels_in_range()
    {
        var reader = new FashionMnistReader("train");

        var samples = reader.Read().Take(200).ToList();

        Assert.Equal(10, reader.ClassCount);
        Assert.Equal("fashion_mnist_train_00000", samples[0].Key);
        Assert.Equal(9, samples[0].ClassIndex); // the first training image is an ankle boot
        Assert.All(samples, s =>
        {
            Assert.Equal((28, 28, 1), (s.Image.Width, s.Image.Height, s.Image.Channels));
            Assert.InRange(s.ClassIndex!.Value, 0, 9);
        });
        Assert.Equal(76247, samples[0].Image.Pixels.Sum(p => p));
        Assert.True(samples.Select(s => s.ClassIndex).Distinct().Count() == 10, "200 images should cover all 10 classes");
    }

    [Fact]
    public void Test_split_reads_the_t10k_files()
    {
        var first = new FashionMnistReader("test").Read().Take(5).Select(s => s.ClassIndex!.Value).ToArray();

        Assert.Equal([9, 2, 1, 1, 6], first);
    }

    [Fact]
    public void Wrong_magic_number_is_a_clear_error()
    {
        using var directory = new TemporaryDirectory();
        WriteIdx(directory.Combine("train-images-idx3-ubyte.gz"), magic: 0x00000801, [2, 28, 28], new byte[2 * 784]);
        WriteIdx(directory.Combine("train-labels-idx1-ubyte.gz"), magic: 0x00000801, [2], [1, 2]);

        var error = Assert.Throws<InvalidDataException>(() => new FashionMnistReader("train", directory.Path).Read().First());

        Assert.Contains("magic number 0x00000801", error.Message);
    }

    [Fact]
    public void Image_and_label_counts_must_agree()
    {
        using var directory = new TemporaryDirectory();
        WriteIdx(directory.Combine("t10k-images-idx3-ubyte.gz"), magic: 0x00000803, [3, 28, 28], new byte[3 * 784]);
        WriteIdx(directory.Combine("t10k-labels-idx1-ubyte.gz"), magic: 0x00000801, [2], [1, 2]);

        var error = Assert.Throws<InvalidDataException>(() => new FashionMnistReader("test", directory.Path).Count);

        Assert.Contains("2 labels but", error.Message);
    }

    [Fact]
    public void Truncated_data_is_reported_with_the_item()
    {
        using var directory = new TemporaryDirectory();
        WriteIdx(directory.Combine("train-images-idx3-ubyte.gz"), magic: 0x00000803, [2, 28, 28], new byte[784 + 100]);
        WriteIdx(directory.Combine("train-labels-idx1-ubyte.gz"), magic: 0x00000801, [2], [1, 2]);

        var error = Assert.Throws<InvalidDataException>(() => new FashionMnistReader("train", directory.Path).Read().ToList());

        Assert.Contains("truncated at item 1", error.Message);
    }

    [Fact]
    public void Unknown_split_and_missing_files_are_rejected()
    {
        using var directory = new TemporaryDirectory();

        Assert.Throws<ArgumentException>(() => new FashionMnistReader("val"));
        Assert.Throws<FileNotFoundException>(() => new FashionMnistReader("train", directory.Path));
    }

    private static void WriteIdx(string path, int magic, int[] dimensions, byte[] data)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        var header = new byte[4 + 4 * dimensions.Length];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        for (var i = 0; i < dimensions.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dimensions[i]);
        gzip.Write(header);
        gzip.Write(data);
    }
}
