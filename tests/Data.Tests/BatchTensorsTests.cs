using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Tensors;
using static TorchSharp.torch;

namespace SemanticMIM.Data.Tests;

public class BatchTensorsTests
{
    [Fact]
    public void Images_become_float_bchw_in_unit_range()
    {
        var a = TestImages.Noise(5, 3, seed: 1);
        var b = TestImages.Noise(5, 3, seed: 2);

        using var batch = BatchTensors.Images([a, b]);

        Assert.Equal([2L, 3, 3, 5], batch.shape);
        Assert.Equal(ScalarType.Float32, batch.dtype);
        Assert.Equal(b[4, 2, 1] / 255f, batch[1, 1, 2, 4].item<float>(), 1e-6f);
        Assert.Equal(a[0, 1, 2] / 255f, batch[0, 2, 1, 0].item<float>(), 1e-6f);
    }

    [Fact]
    public void Normalisation_is_per_channel()
    {
        var image = TestImages.Noise(4, 4, seed: 3);
        float[] mean = [0.5f, 0.25f, 0.75f];
        float[] std = [0.5f, 0.2f, 0.1f];

        using var batch = BatchTensors.Images([image], mean, std);

        for (var c = 0; c < 3; c++)
            Assert.Equal((image[3, 1, c] / 255f - mean[c]) / std[c], batch[0, c, 1, 3].item<float>(), 1e-5f);
    }

    [Fact]
    public void Grayscale_gives_one_channel()
    {
        using var batch = BatchTensors.Images([TestImages.Noise(28, 28, seed: 4, channels: 1)], [0.5f], [0.5f]);

        Assert.Equal([1L, 1, 28, 28], batch.shape);
        Assert.InRange(batch.min().item<float>(), -1f, 1f);
        Assert.InRange(batch.max().item<float>(), -1f, 1f);
    }

    [Fact]
    public void Label_maps_and_classes_become_int64()
    {
        var map = new LabelMap(3, 2, [0, 1, 2, 255, 4, 5]);

        using var labels = BatchTensors.LabelMaps([map, map]);
        using var classes = BatchTensors.ClassIndices([3, 7]);

        Assert.Equal([2L, 2, 3], labels.shape);
        Assert.Equal(ScalarType.Int64, labels.dtype);
        Assert.Equal(255L, labels[1, 1, 0].item<long>());
        Assert.Equal([3L, 7L], classes.data<long>().ToArray());
    }

    [Fact]
    public void Conversion_leaves_no_intermediate_tensors_behind()
    {
        var images = new[] { TestImages.Noise(8, 8, 5), TestImages.Noise(8, 8, 6) };
        using var scope = NewDisposeScope();

        var batch = BatchTensors.Images(images, [0.1f, 0.2f, 0.3f], [0.4f, 0.5f, 0.6f]);

        Assert.Equal(1, scope.DisposablesCount);
        Assert.Same(batch, scope.DisposablesView.Single());
    }

    [Fact]
    public void Mismatched_batches_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => BatchTensors.Images([TestImages.Noise(4, 4, 1), TestImages.Noise(5, 4, 1)]));
        Assert.Throws<ArgumentException>(() => BatchTensors.Images([TestImages.Noise(4, 4, 1)], [0.5f], [0.5f]));
        Assert.Throws<ArgumentException>(() => BatchTensors.Images([TestImages.Noise(4, 4, 1)], [0.5f, 0.5f, 0.5f], null));
    }
}
