using SemanticMIM.Model.Heads;
using SemanticMIM.Model.Targets;
using SemanticMIM.Model.Tests.Support;
using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Tests;

/// <summary>Tests that seed libtorch's global generator; run apart from the others, which would draw from it meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalSeedCollection
{
    public const string Name = "global-seed";
}

[Collection(GlobalSeedCollection.Name)]
public sealed class HeadAndTokenizerTests
{
    [Fact]
    public void BeitLossIsTheMeanCrossEntropyOverMaskedTokens()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        using var head = new BeitHead(8, 5);
        var logits = torch.randn(2, 3, 5);
        var targets = torch.tensor(new long[] { 0, 4, 2, 1, 1, 3 }, [2, 3]);

        var loss = head.Loss(logits, targets).item<float>();

        double expected = 0;
        var values = logits.data<float>().ToArray();
        var ids = targets.data<long>().ToArray();
        for (int t = 0; t < 6; t++)
        {
            var row = values.Skip(t * 5).Take(5).Select(v => (double)v).ToArray();
            double logSum = Math.Log(row.Sum(Math.Exp));
            expected += logSum - row[ids[t]];
        }
        Assert.Equal(expected / 6, loss, tolerance: 1e-5 * expected / 6);
    }

    [Fact]
    public void MaskFeatLossIsTheMeanSquaredErrorOverEveryElement()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(2);
        using var head = new MaskFeatHead(8, 4);
        var predictions = torch.randn(2, 3, 4);
        var targets = torch.randn(2, 3, 4).to(ScalarType.Float16);

        var loss = head.Loss(predictions, targets).item<float>();

        var p = predictions.data<float>().ToArray();
        var t = targets.to(ScalarType.Float32).data<float>().ToArray();
        double expected = p.Zip(t).Average(pair => Math.Pow(pair.First - pair.Second, 2));
        Assert.Equal(expected, loss, tolerance: 1e-5 * expected);
    }

    [Fact]
    public void PretrainingLossUsesTheTargetsOfTheMaskedPositionsOnly()
    {
        using var scope = torch.NewDisposeScope();
        var encoder = TestModels.Micro();
        using var model = new MimPretrainingModel(new MimModelConfig { Encoder = encoder, Target = TargetKind.Hog });
        model.eval();
        var images = TestModels.Images(encoder, 2, seed: 1);
        var mask = TestModels.Mask(encoder, 2, 0.6, seed: 2);
        var targets = new HogTargetGenerator(model.Config.HogOrDefault).Compute(images);
        var changedAtVisible = torch.where(mask.unsqueeze(-1), targets, targets + 10);

        float loss = model.Loss(images, mask, targets).item<float>();

        Assert.Equal(loss, model.Loss(images, mask, changedAtVisible).item<float>());
        Assert.NotEqual(loss, model.Loss(images, mask, targets + 1).item<float>());
        TensorAssert.Shape(MimPretrainingModel.SelectMasked(targets, mask), 2, 10, 108);
    }

    [Fact]
    public void FullSizeDalleEncoderHasTheReleasedShape()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var encoder = new DalleEncoder(new DalleEncoderConfig());
        var names = encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);

        var ids = encoder.Tokenize(torch.rand(1, 3, 16, 16));

        Assert.Equal([256L, 3, 7, 7], names["blocks.input.w"]);
        Assert.Equal([2048L, 1024, 1, 1], names["blocks.group_4.block_1.id_path.w"]);
        Assert.Equal([8192L, 2048, 1, 1], names["blocks.output.conv.w"]);
        Assert.DoesNotContain("blocks.group_1.block_1.id_path.w", names.Keys);
        TensorAssert.Shape(ids, 1, 4);
        Assert.InRange(ids.max().item<long>(), 0, 8191);
    }

    [Fact]
    public void TheSmallTokenizerLearnsAndTokenizesOnTheDalleGrid()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        using var tokenizer = new VqTokenizer(new VqTokenizerConfig { InputChannels = 1, HiddenChannels = 16, CodeDim = 8, VocabSize = 16 });
        using var optimizer = torch.optim.Adam(tokenizer.parameters(), lr: 3e-3);
        // Bars of random position and brightness: structure a tokenizer can learn in a few steps.
        var images = torch.zeros(32, 1, 16, 16);
        using var generator = new Generator(1);
        for (int i = 0; i < 32; i++)
        {
            int column = (int)torch.randint(12, [1], generator: generator).item<long>();
            images[i, 0, .., column..(column + 4)] = torch.tensor(0.3f + 0.02f * i);
        }

        float first = 0, last = 0;
        for (int step = 0; step < 60; step++)
        {
            using var stepScope = torch.NewDisposeScope();
            optimizer.zero_grad();
            using var loss = tokenizer.Loss(images);
            loss.Total.backward();
            optimizer.step();
            if (step == 0)
            {
                first = loss.Reconstruction.item<float>();
            }
            last = loss.Reconstruction.item<float>();
        }
        var ids = tokenizer.Tokenize(images);

        Assert.True(last < 0.5 * first, $"reconstruction error went from {first} to {last}");
        TensorAssert.Shape(ids, 32, 4);
        Assert.InRange(ids.min().item<long>(), 0, 15);
        Assert.InRange(ids.max().item<long>(), 0, 15);
    }

    [Fact]
    public void UnusedCodesRestartFromEncoderOutputs()
    {
        using var scope = torch.NewDisposeScope();
        using var tokenizer = new VqTokenizer(new VqTokenizerConfig { InputChannels = 3, HiddenChannels = 8, CodeDim = 4, VocabSize = 10 });
        var images = torch.rand(4, 3, 16, 16);
        var usage = torch.zeros(10, ScalarType.Int64);
        usage[3] = torch.tensor(5L);
        var before = tokenizer.get_parameter("codebook.weight")!.clone();
        using var generator = new Generator(0);

        int restarted = tokenizer.RestartUnusedCodes(images, usage, generator);

        var after = tokenizer.get_parameter("codebook.weight")!;
        Assert.Equal(9, restarted);
        TensorAssert.Equal(before[3], after[3], "a used code stays");
        Assert.False(before[0].equal(after[0]).all().item<bool>());
    }
}
