using System.Text.Json;
using SemanticMIM.Data.Datasets;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Shards;

namespace SemanticMIM.Data.Tests;

public class ShardTests
{
    private static readonly ShardWriterOptions Lossless = new() { ImageFormat = ShardImageFormat.Png, MaxSamplesPerShard = 4 };

    [Fact]
    public void Segmentation_samples_round_trip_through_shards_exactly()
    {
        using var directory = new TemporaryDirectory();
        var scenes = new SyntheticScenes(seed: 5, count: 10, width: 32, height: 24);

        var manifest = ShardWriter.WriteDataset(scenes, directory.Path, Lossless);
        var read = new ShardReader(directory.Path).ReadAll().Select(s => s.Decode(ColorMode.Rgb)).ToList();

        Assert.Equal(["shard-000000.tar", "shard-000001.tar", "shard-000002.tar"], manifest.Shards.Select(s => s.Name));
        Assert.Equal([4, 4, 2], manifest.Shards.Select(s => s.Samples));
        Assert.Equal(10, manifest.TotalSamples);
        Assert.Equal(5, manifest.ClassCount);
        var original = scenes.Read().ToList();
        Assert.Equal(original.Select(s => s.Key), read.Select(s => s.Key));
        for (var i = 0; i < original.Count; i++)
        {
            Assert.Equal(original[i].Image.Pixels, read[i].Image.Pixels);
            Assert.Equal(original[i].Segmentation!.Labels, read[i].Segmentation!.Labels);
            Assert.Null(read[i].ClassIndex);
        }
        Assert.Empty(Directory.GetFiles(directory.Path, "*.partial"));
    }

    [Fact]
    public void Classification_samples_keep_labels_and_grayscale()
    {
        using var directory = new TemporaryDirectory();
        var reader = new FashionMnistReader("test");
        var samples = reader.Read().Take(6).ToList();

        using (var writer = new ShardWriter(directory.Path, reader.DatasetName, reader.Split, reader.ClassCount, Lossless))
        {
            foreach (var sample in samples)
                writer.Add(sample);
            writer.Complete();
        }
        var read = new ShardReader(directory.Path).ReadAll().ToList();

        Assert.Equal(samples.Select(s => s.ClassIndex), read.Select(s => s.ClassIndex));
        Assert.Equal("9"u8.ToArray(), read[0].Parts["cls"]);
        Assert.Equal(["cls", "png"], read[0].Parts.Keys.Order());
        var decoded = read[3].Decode();
        Assert.Equal(1, decoded.Image.Channels);
        Assert.Equal(samples[3].Image.Pixels, decoded.Image.Pixels);
    }

    [Fact]
    public void Imagenet_fixture_round_trips_and_the_corrupt_jpeg_is_named_in_the_manifest()
    {
        using var root = new TemporaryDirectory();
        using var shards = new TemporaryDirectory();
        root.Write(TestImages.Jpeg(120, 90, 1), "train", "n01440764", "n01440764_1.JPEG");
        root.Write(TestImages.Jpeg(60, 100, 2), "train", "n01440764", "n01440764_2.JPEG");
        root.Write(TestImages.TruncatedJpeg(), "train", "n01443537", "n01443537_1.JPEG");
        root.Write(TestImages.Jpeg(40, 30, 3), "train", "n01443537", "n01443537_2.JPEG");
        var reader = new ImageNetFolderReader(root.Path, "train");

        var manifest = ShardWriter.WriteDataset(reader, shards.Path, new ShardWriterOptions { MaxShorterSide = 48, JpegQuality = 95 });
        var read = new ShardReader(shards.Path).ReadAll().Select(s => s.Decode()).ToList();

        var skipped = Assert.Single(manifest.Skipped);
        Assert.Equal("train/n01443537/n01443537_1.JPEG", skipped.Source);
        Assert.Contains("truncated", skipped.Reason);
        Assert.Equal(3, manifest.TotalSamples);
        Assert.Equal(2, manifest.ClassCount);
        Assert.Equal([0, 0, 1], read.Select(s => s.ClassIndex!.Value));
        Assert.Equal([(64, 48), (48, 80), (40, 30)], read.Select(s => (s.Image.Width, s.Image.Height)));
        var expected = reader.Read().ToList()[2].Image;
        Assert.True(TestImages.MeanAbsoluteDifference(expected, read[2].Image) < 4);
    }

    [Fact]
    public void Bounded_resolution_resizes_label_maps_with_the_image()
    {
        using var directory = new TemporaryDirectory();
        var scenes = new SyntheticScenes(seed: 9, count: 2, width: 80, height: 40);

        ShardWriter.WriteDataset(scenes, directory.Path, Lossless with { MaxShorterSide = 20 });
        var sample = new ShardReader(directory.Path).ReadAll().First().Decode();

        Assert.Equal((40, 20), (sample.Image.Width, sample.Image.Height));
        Assert.Equal(scenes.Generate(0).Segmentation!.ResizeNearest(40, 20).Labels, sample.Segmentation!.Labels);
    }

    [Fact]
    public void Byte_limit_starts_new_shards_and_sizes_match_the_files()
    {
        using var directory = new TemporaryDirectory();
        var scenes = new SyntheticScenes(seed: 2, count: 6, width: 32, height: 32);
        var options = Lossless with { MaxSamplesPerShard = 100, MaxBytesPerShard = 12 * 1024 };

        var manifest = ShardWriter.WriteDataset(scenes, directory.Path, options);

        Assert.True(manifest.Shards.Count > 1, $"expected several shards, got {manifest.Shards.Count}");
        Assert.Equal(6, manifest.Shards.Sum(s => s.Samples));
        Assert.All(manifest.Shards, s =>
        {
            Assert.Equal(new FileInfo(Path.Combine(directory.Path, s.Name)).Length, s.Bytes);
            Assert.True(s.Bytes <= options.MaxBytesPerShard || s.Samples == 1);
            Assert.Matches("^[0-9a-f]{64}$", s.Sha256);
        });
    }

    [Fact]
    public void Manifest_json_has_the_documented_fields()
    {
        using var directory = new TemporaryDirectory();
        using (var writer = new ShardWriter(directory.Path, "demo", "val", 3, Lossless))
        {
            writer.Add(new DatasetSample("k0", TestImages.Smooth(8, 8), 2));
            writer.AddSkipped([new SkippedSource("val/bad.jpg", "truncated image data")]);
            writer.Complete();
        }

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory.Path, ShardManifest.FileName)));
        var root = json.RootElement;

        Assert.Equal("demo", root.GetProperty("dataset").GetString());
        Assert.Equal("val", root.GetProperty("split").GetString());
        Assert.Equal(3, root.GetProperty("num_classes").GetInt32());
        Assert.Equal(1, root.GetProperty("total_samples").GetInt32());
        var shard = root.GetProperty("shards")[0];
        Assert.Equal(["name", "samples", "bytes", "sha256"], shard.EnumerateObject().Select(p => p.Name));
        var skipped = root.GetProperty("skipped")[0];
        Assert.Equal("val/bad.jpg", skipped.GetProperty("source").GetString());
        Assert.Equal("truncated image data", skipped.GetProperty("reason").GetString());
        Assert.Equal(new ShardReader(directory.Path).Manifest.Shards, ShardManifest.Load(directory.Path).Shards);
    }

    [Fact]
    public void A_modified_shard_fails_its_sha256_check_before_any_sample()
    {
        using var directory = new TemporaryDirectory();
        var manifest = ShardWriter.WriteDataset(new SyntheticScenes(seed: 1, count: 3, width: 16, height: 16), directory.Path, Lossless);
        var path = Path.Combine(directory.Path, manifest.Shards[0].Name);
        var bytes = File.ReadAllBytes(path);
        bytes[600] ^= 0xFF;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<ShardIntegrityException>(() => new ShardReader(directory.Path).ReadAll().FirstOrDefault());

        Assert.Contains("SHA-256", error.Message);
        Assert.Contains(manifest.Shards[0].Sha256, error.Message);
    }

    [Fact]
    public void A_reader_hashes_each_shard_once_and_a_new_reader_checks_again()
    {
        using var directory = new TemporaryDirectory();
        var manifest = ShardWriter.WriteDataset(new SyntheticScenes(seed: 1, count: 3, width: 16, height: 16), directory.Path, Lossless);
        var reader = new ShardReader(directory.Path);
        Assert.Equal(3, reader.ReadShard(manifest.Shards[0]).Count());
        // Same length, other bytes: only a new hash can tell.
        var path = Path.Combine(directory.Path, manifest.Shards[0].Name);
        var bytes = File.ReadAllBytes(path);
        bytes[^100] ^= 0xFF;
        File.WriteAllBytes(path, bytes);

        Assert.Equal(3, reader.ReadShard(manifest.Shards[0]).Count());
        Assert.Throws<ShardIntegrityException>(() => new ShardReader(directory.Path).ReadAll().FirstOrDefault());
    }

    [Fact]
    public void Manifests_naming_files_outside_their_folder_are_rejected()
    {
        using var directory = new TemporaryDirectory();
        var manifest = new ShardManifest("demo", "train", 2, 1, [new ShardInfo("../escape.tar", 1, 1024, new string('a', 64))], []);

        Assert.Throws<InvalidDataException>(() => ShardManifest.FromJson(manifest.ToJson()));
    }

    [Fact]
    public void Invalid_or_duplicate_keys_are_rejected()
    {
        using var directory = new TemporaryDirectory();
        using var writer = new ShardWriter(directory.Path, "demo", "train", 2, Lossless);
        var image = TestImages.Smooth(8, 8);

        Assert.Throws<ArgumentException>(() => writer.Add(new DatasetSample("has.dot", image, 0)));
        writer.Add(new DatasetSample("same", image, 0));
        Assert.Throws<ArgumentException>(() => writer.Add(new DatasetSample("same", image, 1)));
    }

    [Fact]
    public void Same_samples_give_byte_identical_shards()
    {
        using var first = new TemporaryDirectory();
        using var second = new TemporaryDirectory();
        var scenes = new SyntheticScenes(seed: 4, count: 3, width: 16, height: 16);

        var a = ShardWriter.WriteDataset(scenes, first.Path, Lossless);
        var b = ShardWriter.WriteDataset(scenes, second.Path, Lossless);

        Assert.Equal(a.Shards, b.Shards);
    }
}
