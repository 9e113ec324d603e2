using static TorchSharp.torch;

namespace SemanticMIM.Training.Tests;

public sealed class GradientClippingTests
{
    [Theory]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void ReturnsThePreClipNormAndScalesToTheLimit(double maxNorm)
    {
        using var layer = nn.Linear(5, 3);
        var gradients = SetGradients(layer);
        double expected = Math.Sqrt(gradients.Sum(g => g.Sum(v => (double)v * v)));

        double reported = GradientClipping.ClipGlobalNorm(layer.parameters(), maxNorm);

        Assert.Equal(1.0, reported / expected, 1e-6);
        double clippedNorm = Math.Sqrt(layer.parameters().Sum(p => p.grad!.data<float>().Sum(v => (double)v * v)));
        Assert.Equal(1.0, clippedNorm / Math.Min(maxNorm, expected), 1e-5);
    }

    [Fact]
    public void ZeroLimitOnlyMeasures()
    {
        using var layer = nn.Linear(5, 3);
        var gradients = SetGradients(layer);

        double reported = GradientClipping.ClipGlobalNorm(layer.parameters(), 0);

        Assert.True(reported > 1);
        Assert.Equal(gradients[0], layer.weight!.grad!.data<float>().ToArray());
    }

    [Fact]
    public void NoGradientsMeansNormZero()
    {
        using var layer = nn.Linear(2, 2);
        Assert.Equal(0, GradientClipping.ClipGlobalNorm(layer.parameters(), 1));
    }

    /// <summary>Gives every parameter a known gradient with a global norm well above 2 and returns the values.</summary>
    private static List<float[]> SetGradients(nn.Module module)
    {
        using var input = arange(10, dtype: ScalarType.Float32).reshape(2, 5);
        using var output = ((nn.Module<Tensor, Tensor>)module).forward(input);
        using var loss = output.pow(2).sum();
        loss.backward();
        return module.parameters().Select(p => p.grad!.data<float>().ToArray()).ToList();
    }
}
