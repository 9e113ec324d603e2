using SemanticMIM.Model.Checkpoints;
using SemanticMIM.Model.Targets;
using SemanticMIM.Model.Tests.Support;
using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Tests;

/// <summary>
/// Agreement with an independent PyTorch implementation written from the spec's equations
/// (python/semanticmim_reference.py): weights written here load there under the documented names and give the
/// same outputs, and weights written there load here.
/// </summary>
public sealed class InteropTests
{
    private const double Tolerance = 1e-4;

    private static VisionTransformerConfig Encoder(string flavour) => TestModels.Micro(
        flavour == "beit" ? BlockFlavour.Beit : BlockFlavour.MaskFeat, proxies: 3, depth: 3);

    private static object EncoderCase(VisionTransformerConfig c, string flavour, string method) => new
    {
        kind = "encoder", seed = 5, img_size = c.ImageSize, patch_size = c.PatchSize, in_channels = c.InChannels,
        embed_dim = c.EmbedDim, depth = c.Depth, num_heads = c.NumHeads, mlp_dim = c.MlpDim, num_proxies = c.NumProxies,
        flavour, layer_scale = c.LayerScaleInit, method, ln_eps = c.LayerNormEps,
    };

    private static VisionTransformer Build(VisionTransformerConfig config, string method) => method switch
    {
        "vit" => new VisionTransformer(config),
        "joint" => new MimEncoder(config),
        _ => new ProxyEncoder(config),
    };

    // Spec init makes attention almost uniform at this width; random, larger weights let a wrong name,
    // transpose or head split show.
    private static void Randomize(nn.Module module, int seed)
    {
        using var noGrad = torch.no_grad();
        using var generator = new Generator((ulong)seed);
        foreach (var (name, parameter) in module.named_parameters())
        {
            var noise = torch.randn(parameter.shape, generator: generator);
            if (parameter.dim() >= 2 && name is not ("cls_token" or "pos_embed" or "mask_token"))
            {
                long fanIn = parameter.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
                parameter.copy_(noise / Math.Sqrt(fanIn));
            }
            else if (name.EndsWith("ln1.weight", StringComparison.Ordinal) || name.EndsWith("ln2.weight", StringComparison.Ordinal))
            {
                parameter.copy_(noise * 0.1 + 1);
            }
            else
            {
                parameter.copy_(noise * (parameter.dim() >= 2 ? 0.5 : 0.1));
            }
        }
    }

    private static Dictionary<string, Tensor> EncoderInputs(VisionTransformerConfig config, string method)
    {
        var inputs = new Dictionary<string, Tensor> { ["images"] = TestModels.Images(config, 2, seed: 8) };
        if (method != "vit")
        {
            inputs["mask"] = TestModels.Mask(config, 2, 0.6, seed: 9).to(ScalarType.Byte);
        }
        return inputs;
    }

    private static void CompareEncoder(VisionTransformer model, string method, Dictionary<string, Tensor> inputs, Dictionary<string, Tensor> expected)
    {
        using var noGrad = torch.no_grad();
        model.eval();
        var images = inputs["images"];
        switch (model)
        {
            case ProxyEncoder proxy:
                var mask = inputs["mask"].to(ScalarType.Bool);
                using (var compressed = proxy.Compress(images, mask))
                {
                    TensorAssert.RelativelyClose(expected["visible"], compressed.Visible, Tolerance, "visible [X; I]");
                }
                TensorAssert.RelativelyClose(expected["masked"], proxy.ForwardMasked(images, mask), Tolerance, "masked");
                break;
            case MimEncoder joint:
                TensorAssert.RelativelyClose(expected["masked"], joint.ForwardMasked(images, inputs["mask"].to(ScalarType.Bool)), Tolerance, "masked");
                break;
            default:
                var features = model.ForwardFeatures(images);
                for (int i = 0; i < features.Length; i++)
                {
                    TensorAssert.RelativelyClose(expected[$"layer.{i}"], features[i], Tolerance, $"layer {i}");
                    TensorAssert.RelativelyClose(expected[$"attn.{i}"], model.AttentionMaps(images, i), Tolerance, $"attention {i}");
                }
                break;
        }
        Assert.Equal(method == "proxy", model is ProxyEncoder);
    }

    [Theory]
    [InlineData("beit", "vit")]
    [InlineData("beit", "joint")]
    [InlineData("beit", "proxy")]
    [InlineData("maskfeat", "vit")]
    [InlineData("maskfeat", "joint")]
    [InlineData("maskfeat", "proxy")]
    public void WeightsWrittenHereGiveTheSameOutputsInPyTorch(string flavour, string method)
    {
        using var scope = torch.NewDisposeScope();
        var config = Encoder(flavour);
        using var model = Build(config, method);
        Randomize(model, seed: 1);
        using var reference = new PythonReference(EncoderCase(config, flavour, method));
        if (model.GetType() == typeof(VisionTransformer))
        {
            // The plain encoder goes through the real checkpoint writer: the file PyTorch loads is the exported one.
            ModelCheckpoint.Save(reference.CaseFile("weights.safetensors"), model);
        }
        else
        {
            reference.WriteWeights(ModelCheckpoint.StateDict(model));
        }
        var inputs = EncoderInputs(config, method);
        reference.WriteInputs(inputs);

        CompareEncoder(model, method, inputs, reference.Forward());
    }

    [Theory]
    [InlineData("beit", "proxy")]
    [InlineData("maskfeat", "joint")]
    [InlineData("maskfeat", "vit")]
    public void WeightsWrittenByPyTorchLoadHereAndAgree(string flavour, string method)
    {
        using var scope = torch.NewDisposeScope();
        var config = Encoder(flavour);
        using var reference = new PythonReference(EncoderCase(config, flavour, method));
        reference.Init();
        var inputs = EncoderInputs(config, method);
        reference.WriteInputs(inputs);
        using var model = Build(config, method);

        ModelCheckpoint.LoadInto(model, reference.ReadWeights(), "PyTorch weights");

        CompareEncoder(model, method, inputs, reference.Forward());
    }

    [Theory]
    [InlineData(3, 32, 4, 2, 4)]
    [InlineData(1, 28, 4, 2, 0)]
    [InlineData(3, 64, 16, 8, 16)]
    public void HogTargetsAgreeWithPyTorch(int channels, int size, int patch, int cell, int window)
    {
        using var scope = torch.NewDisposeScope();
        using var reference = new PythonReference(new { kind = "hog", seed = 1, nbins = 9, pool = cell, gaussian_window = window, patch_size = patch });
        using var generator = new Generator(3);
        var images = torch.randn([2, channels, size, size], generator: generator);
        reference.WriteInputs(new Dictionary<string, Tensor> { ["images"] = images });

        var actual = new HogTargetGenerator(new HogConfig { PatchSize = patch, CellSize = cell, GaussianWindow = window }).Compute(images);

        TensorAssert.RelativelyClose(reference.Forward()["hog"], actual, Tolerance, "HOG");
    }

    private static object DalleCase => new { kind = "dalle", seed = 2, input_channels = 3, n_hid = 16, n_blk_per_group = 2, vocab_size = 32 };

    private static readonly DalleEncoderConfig SmallDalle = new() { HiddenChannels = 16, VocabSize = 32 };

    [Fact]
    public void DalleLogitsAgreeWithPyTorch()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = new DalleEncoder(SmallDalle);
        using var reference = new PythonReference(DalleCase);
        reference.WriteWeights(ModelCheckpoint.StateDict(encoder));
        var images = DalleEncoder.MapPixels(torch.rand(2, 3, 32, 32));
        reference.WriteInputs(new Dictionary<string, Tensor> { ["images"] = images });

        using var noGrad = torch.no_grad();
        var logits = encoder.forward(images);

        TensorAssert.Shape(logits, 2, 32, 4, 4);
        TensorAssert.RelativelyClose(reference.Forward()["logits"], logits, Tolerance, "DALL-E logits");
    }

    [Fact]
    public void DalleWeightsLoadFromAPyTorchStateDictFile()
    {
        using var scope = torch.NewDisposeScope();
        using var reference = new PythonReference(DalleCase);
        reference.Init();
        string pth = reference.CaseFile("dalle_encoder.pth");
        // The released weights come as a torch.save'd state_dict with an "encoder." prefix; make one the same way.
        PythonReference.Run("write_state_dict.py", reference.CaseFile("weights.safetensors"), pth, "encoder.");
        var images = DalleEncoder.MapPixels(torch.rand(1, 3, 16, 16));
        reference.WriteInputs(new Dictionary<string, Tensor> { ["images"] = images });
        using var encoder = new DalleEncoder(SmallDalle);

        encoder.LoadWeights(pth);

        using var noGrad = torch.no_grad();
        TensorAssert.RelativelyClose(reference.Forward()["logits"], encoder.forward(images), Tolerance, "DALL-E logits");
    }

    [Fact]
    public void TheReferenceItselfPassesItsChecks()
    {
        string output = PythonReference.Run("selftest.py");

        Assert.Contains("ok ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
    }
}
