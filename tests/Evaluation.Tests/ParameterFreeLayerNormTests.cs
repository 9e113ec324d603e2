using TorchSharp;

namespace SemanticMIM.Evaluation.Tests;

public class ParameterFreeLayerNormTests
{
    [Fact]
    public void RowsHaveZeroMeanAndUnitVariance()
    {
        using var scope = torch.NewDisposeScope();
        var features = torch.randn(6, 32, generator: new torch.Generator(1)) * 5 + 3;
        var normalised = ParameterFreeLayerNorm.Apply(features);
        Assert.True(normalised.mean([1]).abs().max().item<float>() < 1e-5);
        Assert.True((normalised.var(1, unbiased: false) - 1).abs().max().item<float>() < 1e-4);
    }
}
