using SemanticMIM.Model.Layers;
using SemanticMIM.Model.Tests.Support;
using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Tests;

public sealed class MixedPrecisionTests
{
    private static MimPretrainingModel Model(BlockFlavour flavour) => new(new MimModelConfig
    {
        Encoder = TestModels.Micro(flavour),
        Method = MimMethod.SemanticMim,
        Target = TargetKind.TokenIds,
        VocabSize = 64,
    });

    [Theory]
    [InlineData(BlockFlavour.Beit)]
    [InlineData(BlockFlavour.MaskFeat)]
    public void InABf16ScopeTheMatmulsRunInBf16WhileTheResidualStreamLossAndGradientsStayFp32(BlockFlavour flavour)
    {
        using var scope = NewDisposeScope();
        using var model = Model(flavour);
        var encoder = model.Config.Encoder;
        var images = TestModels.Images(encoder, 2, seed: 5);
        var mask = TestModels.Mask(encoder, 2, 0.6, seed: 6);
        using var generator = new Generator(7);
        var targets = randint(0, 64, [2, encoder.NumPatches], generator: generator);
        var tokens = randn([2, 5, encoder.EmbedDim], generator: generator);
        var expected = model.forward(images, mask);

        Tensor predictions, loss, blockOutput;
        using (MixedPrecision.Compute(ScalarType.BFloat16))
        {
            predictions = model.forward(images, mask);
            blockOutput = model.Backbone.Layers[0].forward(tokens, tokens);
            loss = model.Loss(images, mask, targets);
        }
        loss.backward();

        Assert.Equal(ScalarType.BFloat16, predictions.dtype);
        Assert.Equal(ScalarType.Float32, blockOutput.dtype);
        Assert.Equal(ScalarType.Float32, loss.dtype);
        Assert.Equal(ScalarType.Float32, expected.dtype);
        // bf16 keeps 8 bits of mantissa: the logits stay within a few percent of the fp32 forward's largest.
        TensorAssert.RelativelyClose(expected, predictions.to(ScalarType.Float32), 0.05, "bf16 predictions");
        Assert.All(model.parameters(), p =>
        {
            Assert.Equal(ScalarType.Float32, p.dtype);
            Assert.Equal(ScalarType.Float32, p.grad!.dtype);
        });
    }

    [Fact]
    public void AttentionAndThePatchEmbeddingComputeInTheScopesDtype()
    {
        using var scope = NewDisposeScope();
        using var attention = new Attention(32, 2, BlockFlavour.Beit);
        using var embed = new PatchEmbed(3, 32, 4);
        var tokens = randn(2, 5, 32);
        var images = randn(2, 3, 16, 16);

        Tensor attended, embedded;
        using (MixedPrecision.Compute(ScalarType.BFloat16))
        {
            attended = attention.forward(tokens, tokens);
            embedded = embed.forward(images);
        }

        Assert.Equal(ScalarType.BFloat16, attended.dtype);
        Assert.Equal(ScalarType.BFloat16, embedded.dtype);
        Assert.Equal(ScalarType.Float32, attention.forward(tokens, tokens).dtype);
        TensorAssert.RelativelyClose(embed.forward(images), embedded.to(ScalarType.Float32), 0.02, "bf16 patch embedding");
    }

    [Fact]
    public void ScopesNestRestoreAndBelongToTheirThread()
    {
        Assert.Null(MixedPrecision.ComputeType);
        using (MixedPrecision.Compute(ScalarType.BFloat16))
        {
            ScalarType? elsewhere = ScalarType.Int8;
            var other = new Thread(() => elsewhere = MixedPrecision.ComputeType);
            other.Start();
            other.Join();
            Assert.Null(elsewhere);
            using (MixedPrecision.Compute(null))
            {
                Assert.Null(MixedPrecision.ComputeType);
            }
            Assert.Equal(ScalarType.BFloat16, MixedPrecision.ComputeType);
        }
        Assert.Null(MixedPrecision.ComputeType);
        Assert.Throws<ArgumentException>(() => MixedPrecision.Compute(ScalarType.Int32));
    }
}
