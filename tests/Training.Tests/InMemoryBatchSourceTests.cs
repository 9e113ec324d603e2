using static TorchSharp.torch;

namespace SemanticMIM.Training.Tests;

public sealed class InMemoryBatchSourceTests
{
    [Fact]
    public void EachEpochVisitsEverySampleOnceInASeededOrder()
    {
        using var images = arange(10, dtype: ScalarType.Float32).reshape(10, 1, 1, 1);
        using var targets = arange(10).reshape(10, 1);
        var source = new InMemoryBatchSource(images, targets, seed: 5);

        var firstEpoch = Enumerable.Range(0, 5).SelectMany(_ => source.Next(2).Targets.data<long>().ToArray()).ToList();
        var secondEpoch = Enumerable.Range(0, 5).SelectMany(_ => source.Next(2).Targets.data<long>().ToArray()).ToList();

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), firstEpoch.Order());
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), secondEpoch.Order());
        Assert.NotEqual(firstEpoch, secondEpoch);
        Assert.Equal(20, source.Position);
    }

    [Fact]
    public void SeekingReproducesTheStreamFromAnyPosition()
    {
        using var images = arange(7, dtype: ScalarType.Float32).reshape(7, 1, 1, 1);
        using var targets = arange(7).reshape(7, 1);
        var continuous = new InMemoryBatchSource(images, targets, seed: 1);
        continuous.Next(9);
        var expected = continuous.Next(4).Images.data<float>().ToArray();

        var restored = new InMemoryBatchSource(images, targets, seed: 1);
        restored.Seek(9);

        Assert.Equal(expected, restored.Next(4).Images.data<float>().ToArray());
    }

    [Fact]
    public void WithoutShufflingSamplesComeInOrder()
    {
        using var images = zeros(3, 1, 1, 1);
        using var targets = arange(3).reshape(3, 1);
        var source = new InMemoryBatchSource(images, targets, seed: 0, shuffle: false);

        Assert.Equal([0L, 1, 2, 0], source.Next(4).Targets.data<long>().ToArray());
    }
}
