using SemanticMIM.Data.Datasets;

namespace SemanticMIM.Data.Tests;

/// <summary>Readers read any range of a split's sources, so a split can be sharded in independent units.</summary>
public class SourceRangeTests
{
    [Fact]
    public void Ranges_of_an_imagenet_split_concatenate_to_the_whole_split_and_skip_only_their_own_corrupt_files()
    {
        using var root = new TemporaryDirectory();
        string[] wnids = ["n01440764", "n01443537"];
        for (var c = 0; c < wnids.Length; c++)
            for (var i = 0; i < 3; i++)
                root.Write(TestImages.Jpeg(32, 32, seed: 10 * c + i), "train", wnids[c], $"{wnids[c]}_{i}.JPEG");
        root.Write(TestImages.TruncatedJpeg(), "train", wnids[1], $"{wnids[1]}_9.JPEG");
        var reader = new ImageNetFolderReader(root.Path, "train");

        var whole = reader.Read().Select(s => s.Key).ToList();
        var first = reader.Read(0, 4).Select(s => s.Key).ToList();
        var firstSkipped = reader.Skipped.Count;
        var second = reader.Read(4, 4).Select(s => s.Key).ToList();
        var secondSkipped = reader.Skipped.Select(s => s.Source).ToList();

        Assert.Equal(7, reader.SourceCount);
        Assert.Equal(whole, first.Concat(second));
        Assert.Equal(4, first.Count);
        Assert.Equal(0, firstSkipped);
        Assert.Equal([$"train/{wnids[1]}/{wnids[1]}_9.JPEG"], secondSkipped);
        Assert.Empty(reader.Read(7, 5));
    }

    [Fact]
    public void Fashion_mnist_and_synthetic_ranges_address_samples_by_index()
    {
        var fashion = new FashionMnistReader("test");
        var scenes = new SyntheticScenes(seed: 3, count: 10, width: 16, height: 16);

        Assert.Equal(10_000, fashion.SourceCount);
        var tail = fashion.Read(9998, 5).ToList();
        var whole = fashion.Read().ToList();
        Assert.Equal(["fashion_mnist_test_09998", "fashion_mnist_test_09999"], tail.Select(s => s.Key));
        Assert.Equal(whole[^2..].Select(s => s.Image.Pixels), tail.Select(s => s.Image.Pixels));
        Assert.Equal(whole[^2..].Select(s => s.ClassIndex), tail.Select(s => s.ClassIndex));
        Assert.Equal(scenes.Read().Skip(4).Take(3).Select(s => s.Image.Pixels), scenes.Read(4, 3).Select(s => s.Image.Pixels));
        Assert.Throws<ArgumentOutOfRangeException>(() => scenes.Read(-1, 2).ToList());
    }
}
