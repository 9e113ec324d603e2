using SemanticMIM.Data.Datasets;

namespace SemanticMIM.Data.Tests;

public class SyntheticScenesTests
{
    [Fact]
    public void Same_seed_gives_identical_samples()
    {
        var first = new SyntheticScenes(seed: 42, count: 4).Read().ToList();
        var second = new SyntheticScenes(seed: 42, count: 4).Read().ToList();

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(first[i].Key, second[i].Key);
            Assert.Equal(first[i].Image.Pixels, second[i].Image.Pixels);
            Assert.Equal(first[i].Segmentation!.Labels, second[i].Segmentation!.Labels);
        }
    }

    [Fact]
    public void Seed_split_and_index_all_change_the_scene()
    {
        var scenes = new SyntheticScenes(seed: 1, count: 2);

        var reference = scenes.Generate(0).Image.Pixels;

        Assert.NotEqual(reference, scenes.Generate(1).Image.Pixels);
        Assert.NotEqual(reference, new SyntheticScenes(seed: 2, count: 2).Generate(0).Image.Pixels);
        Assert.NotEqual(reference, new SyntheticScenes(seed: 1, count: 2, split: "val").Generate(0).Image.Pixels);
        Assert.Equal(scenes.Read().Last().Image.Pixels, scenes.Generate(1).Image.Pixels);
    }

    [Fact]
    public void Scenes_have_the_requested_size_and_every_shape_class_appears()
    {
        var scenes = new SyntheticScenes(seed: 7, count: 20, width: 48, height: 32);

        var samples = scenes.Read().ToList();

        Assert.Equal(5, scenes.ClassCount);
        Assert.All(samples, s =>
        {
            Assert.Equal((48, 32, 3), (s.Image.Width, s.Image.Height, s.Image.Channels));
            Assert.Equal((48, 32), (s.Segmentation!.Width, s.Segmentation.Height));
            Assert.All(s.Segmentation.Labels, l => Assert.InRange(l, 0, 4));
        });
        var present = samples.SelectMany(s => s.Segmentation!.Labels).Distinct().Order().ToArray();
        Assert.Equal([0, 1, 2, 3, 4], present);
    }

    [Fact]
    public void Shape_pixels_differ_from_the_background_on_average()
    {
        var sample = new SyntheticScenes(seed: 3, count: 1, width: 64, height: 64, minShapes: 1, maxShapes: 1).Generate(0);
        var labels = sample.Segmentation!.Labels;

        double Mean(bool shape) => Enumerable.Range(0, labels.Length).Where(i => (labels[i] != 0) == shape)
            .Average(i => sample.Image.Pixels[3 * i] + sample.Image.Pixels[3 * i + 1] + sample.Image.Pixels[3 * i + 2]);

        Assert.Contains(labels, l => l != 0);
        Assert.Contains(labels, l => l == 0);
        Assert.NotEqual(Mean(true), Mean(false), tolerance: 1.0);
    }
}
