using SemanticMIM.Data.Datasets;

namespace SemanticMIM.Data.Tests;

public class ImageNetFolderReaderTests
{
    private static readonly string[] Wnids = ["n01440764", "n01443537", "n02102040"];

    /// <summary>train/&lt;wnid&gt;/&lt;wnid&gt;_&lt;i&gt;.JPEG, two per class, plus one truncated JPEG in the second class.</summary>
    private static TemporaryDirectory TrainFixture()
    {
        var root = new TemporaryDirectory();
        for (var c = 0; c < Wnids.Length; c++)
            for (var i = 0; i < 2; i++)
                root.Write(TestImages.Jpeg(40 + 8 * i, 32, seed: 10 * c + i), "train", Wnids[c], $"{Wnids[c]}_{i}.JPEG");
        root.Write(TestImages.TruncatedJpeg(), "train", Wnids[1], $"{Wnids[1]}_9.JPEG");
        return root;
    }

    [Fact]
    public void Train_classes_are_sorted_wnids_and_a_corrupt_jpeg_is_skipped_with_its_reason()
    {
        using var root = TrainFixture();
        var reader = new ImageNetFolderReader(root.Path, "train");

        var samples = reader.Read().ToList();

        Assert.Equal(Wnids, reader.Classes);
        Assert.Equal(6, samples.Count);
        Assert.Equal([0, 0, 1, 1, 2, 2], samples.Select(s => s.ClassIndex!.Value));
        Assert.Equal("n01443537_1", samples[3].Key);
        Assert.Equal((48, 32, 3), (samples[1].Image.Width, samples[1].Image.Height, samples[1].Image.Channels));
        var skipped = Assert.Single(reader.Skipped);
        Assert.Equal($"train/{Wnids[1]}/{Wnids[1]}_9.JPEG", skipped.Source);
        Assert.Contains("truncated", skipped.Reason);
    }

    [Fact]
    public void Reading_twice_does_not_double_the_skipped_list()
    {
        using var root = TrainFixture();
        var reader = new ImageNetFolderReader(root.Path, "train");

        _ = reader.Read().ToList();
        _ = reader.Read().ToList();

        Assert.Single(reader.Skipped);
    }

    [Fact]
    public void Val_in_class_folders_uses_the_training_class_order()
    {
        using var root = TrainFixture();
        root.Write(TestImages.Jpeg(32, 32, 1), "val", Wnids[2], "ILSVRC2012_val_00000001.JPEG");
        root.Write(TestImages.Jpeg(32, 32, 2), "val", Wnids[0], "ILSVRC2012_val_00000002.JPEG");

        var samples = new ImageNetFolderReader(root.Path, "val").Read().ToList();

        Assert.Equal([(("ILSVRC2012_val_00000002"), 0), ("ILSVRC2012_val_00000001", 2)], samples.Select(s => (s.Key, s.ClassIndex!.Value)));
    }

    [Fact]
    public void Flat_val_reads_labels_given_as_wnids_or_indices()
    {
        using var root = TrainFixture();
        for (var i = 1; i <= 4; i++)
            root.Write(TestImages.Jpeg(32, 24, i), "val", $"ILSVRC2012_val_{i:D8}.JPEG");
        File.WriteAllLines(root.Combine(ImageNetFolderReader.DefaultValidationLabelsFile),
        [
            "# filename label",
            $"ILSVRC2012_val_00000001.JPEG {Wnids[2]}",
            "ILSVRC2012_val_00000002.JPEG 1",
            "",
            $"ILSVRC2012_val_00000003.JPEG\t{Wnids[0]}",
        ]);
        var reader = new ImageNetFolderReader(root.Path, "val");

        var samples = reader.Read().ToList();

        Assert.Equal([2, 1, 0], samples.Select(s => s.ClassIndex!.Value));
        var skipped = Assert.Single(reader.Skipped);
        Assert.Equal("val/ILSVRC2012_val_00000004.JPEG", skipped.Source);
        Assert.Contains("no label", skipped.Reason);
    }

    [Fact]
    public void Flat_val_with_a_custom_label_file_and_bad_entries()
    {
        using var root = TrainFixture();
        root.Write(TestImages.Jpeg(16, 16), "val", "a.JPEG");
        var labels = root.Combine("labels.txt");

        File.WriteAllText(labels, "a.JPEG 7\n");
        Assert.Contains("outside 0..2", Assert.Throws<InvalidDataException>(() => new ImageNetFolderReader(root.Path, "val", labels).Read().ToList()).Message);
        File.WriteAllText(labels, "a.JPEG n99999999\n");
        Assert.Contains("unknown wnid", Assert.Throws<InvalidDataException>(() => new ImageNetFolderReader(root.Path, "val", labels).Read().ToList()).Message);
        File.Delete(labels);
        Assert.Throws<FileNotFoundException>(() => new ImageNetFolderReader(root.Path, "val", labels).Read().ToList());
    }

    [Fact]
    public void Unknown_split_or_missing_folder_is_rejected()
    {
        using var root = TrainFixture();

        Assert.Throws<ArgumentException>(() => new ImageNetFolderReader(root.Path, "test"));
        Assert.Throws<DirectoryNotFoundException>(() => new ImageNetFolderReader(root.Path, "val"));
    }
}
