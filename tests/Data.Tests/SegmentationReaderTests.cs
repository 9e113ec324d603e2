using SemanticMIM.Data.Datasets;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Png;

namespace SemanticMIM.Data.Tests;

public class SegmentationReaderTests
{
    private static LabelMap Labels(int width, int height, Func<int, int, byte> label)
    {
        var map = new LabelMap(width, height, new byte[width * height]);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                map[x, y] = label(x, y);
        return map;
    }

    [Fact]
    public void Pascal_voc_reads_the_split_list_with_palette_labels_and_keeps_ignore()
    {
        using var root = new TemporaryDirectory();
        var voc = new[] { "VOCdevkit", "VOC2012" };
        var ids = new[] { "2007_000032", "2007_000033", "2008_000001" };
        var maps = new Dictionary<string, LabelMap>();
        for (var i = 0; i < ids.Length; i++)
        {
            var (width, height) = (40 + 4 * i, 30);
            root.Write(TestImages.Jpeg(width, height, i), [.. voc, "JPEGImages", ids[i] + ".jpg"]);
            maps[ids[i]] = Labels(width, height, (x, y) => x == 10 ? LabelMap.Ignore : (byte)((x / 10 + i) % 21));
            root.Write(IndexedPngEncoder.EncodePalette(maps[ids[i]], ColorPalette.PascalVoc()), [.. voc, "SegmentationClass", ids[i] + ".png"]);
        }
        root.Write("2007_000032\n2008_000001\n"u8.ToArray(), [.. voc, "ImageSets", "Segmentation", "train.txt"]);
        root.Write("2007_000033\n"u8.ToArray(), [.. voc, "ImageSets", "Segmentation", "val.txt"]);

        var train = new PascalVocReader(root.Path, "train").Read().ToList();
        var val = new PascalVocReader(root.Combine(voc), "val").Read().ToList();

        Assert.Equal(["2007_000032", "2008_000001"], train.Select(s => s.Key));
        Assert.Equal(maps["2008_000001"].Labels, train[1].Segmentation!.Labels);
        Assert.Equal(LabelMap.Ignore, train[0].Segmentation![10, 5]);
        Assert.Equal((44, 30), (val.Single().Image.Width, val.Single().Image.Height));
        Assert.Null(val.Single().ClassIndex);
    }

    [Fact]
    public void Pascal_voc_skips_missing_mismatched_or_out_of_range_labels()
    {
        using var root = new TemporaryDirectory();
        var palette = ColorPalette.PascalVoc();
        root.Write(TestImages.Jpeg(20, 20), "JPEGImages", "a.jpg");
        root.Write(TestImages.Jpeg(20, 20), "JPEGImages", "b.jpg");
        root.Write(TestImages.Jpeg(20, 20), "JPEGImages", "c.jpg");
        root.Write(IndexedPngEncoder.EncodePalette(Labels(20, 18, (_, _) => 1), palette), "SegmentationClass", "b.png");
        root.Write(IndexedPngEncoder.EncodePalette(Labels(20, 20, (x, _) => (byte)(x == 3 ? 40 : 0)), palette), "SegmentationClass", "c.png");
        root.Write("a\nb\nc\n"u8.ToArray(), "ImageSets", "Segmentation", "trainval.txt");
        var reader = new PascalVocReader(root.Path, "trainval");

        Assert.Empty(reader.Read());
        Assert.Equal(["SegmentationClass/a.png", "SegmentationClass/b.png", "SegmentationClass/c.png"], reader.Skipped.Select(s => s.Source));
        Assert.Equal("missing file", reader.Skipped[0].Reason);
        Assert.Contains("20x18", reader.Skipped[1].Reason);
        Assert.Contains("label value 40", reader.Skipped[2].Reason);
    }

    [Fact]
    public void Ade20k_reduces_the_zero_label_on_grayscale_annotations()
    {
        using var root = new TemporaryDirectory();
        var data = "ADEChallengeData2016";
        var annotation = Labels(24, 16, (x, y) => (byte)(x < 4 ? 0 : (x + 24 * y) % 150 + 1));
        root.Write(TestImages.Jpeg(24, 16), data, "images", "validation", "ADE_val_00000001.jpg");
        // Written by SkiaSharp as an 8-bit grayscale PNG, as the real annotations are.
        root.Write(ImageCodec.EncodePng(new ImageBuffer(24, 16, 1, annotation.Labels)), data, "annotations", "validation", "ADE_val_00000001.png");
        root.Write(TestImages.Jpeg(24, 16), data, "images", "training", "ADE_train_00000001.jpg");
        root.Write(IndexedPngEncoder.EncodeGrayscale(Labels(24, 16, (_, _) => 151)), data, "annotations", "training", "ADE_train_00000001.png");

        var val = new Ade20kReader(root.Path, "val");
        var sample = val.Read().Single();
        var train = new Ade20kReader(root.Combine(data), "train");

        Assert.Equal(150, val.ClassCount);
        Assert.Equal("ADE_val_00000001", sample.Key);
        for (var i = 0; i < annotation.Labels.Length; i++)
            Assert.Equal(annotation.Labels[i] == 0 ? 255 : annotation.Labels[i] - 1, sample.Segmentation!.Labels[i]);
        Assert.Contains(sample.Segmentation!.Labels, v => v == 149);
        Assert.Empty(train.Read());
        Assert.Contains("label value 150", Assert.Single(train.Skipped).Reason);
    }

    [Fact]
    public void Unknown_splits_are_rejected()
    {
        using var root = new TemporaryDirectory();

        Assert.Throws<ArgumentException>(() => new PascalVocReader(root.Path, "test"));
        Assert.Throws<ArgumentException>(() => new Ade20kReader(root.Path, "training"));
        Assert.Throws<DirectoryNotFoundException>(() => new Ade20kReader(root.Path, "train"));
    }
}
