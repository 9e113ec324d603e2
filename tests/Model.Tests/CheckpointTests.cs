using SemanticMIM.Model.Checkpoints;
using SemanticMIM.Model.Tests.Support;
using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Tests;

public sealed class CheckpointTests
{
    private static MimModelConfig Config(MimMethod method, TargetKind target) => new()
    {
        Encoder = TestModels.Micro(),
        Method = method,
        Target = target,
        VocabSize = 50,
    };

    [Theory]
    [InlineData(MimMethod.SemanticMim, TargetKind.TokenIds)]
    [InlineData(MimMethod.Baseline, TargetKind.Hog)]
    public void RoundTripIsBitExact(MimMethod method, TargetKind target)
    {
        using var dir = new TempDirectory();
        using var model = new MimPretrainingModel(Config(method, target));
        string path = dir.File("model.safetensors");

        ModelCheckpoint.Save(path, model);
        using var loaded = ModelCheckpoint.LoadPretraining(path);

        Assert.Equal(model.Config, loaded.Config with { Encoder = loaded.Config.Encoder });
        var expected = ModelCheckpoint.StateDict(model);
        var actual = ModelCheckpoint.StateDict(loaded);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, tensor) in expected)
        {
            TensorAssert.Equal(tensor, actual[name], name);
        }
    }

    [Fact]
    public void ParameterNamesFollowTheOfficialLayout()
    {
        using var model = new MimPretrainingModel(Config(MimMethod.SemanticMim, TargetKind.TokenIds));

        var names = ModelCheckpoint.StateDict(model).Keys.ToHashSet();

        string[] expected =
        [
            "backbone.patch_embed.projection.weight", "backbone.patch_embed.projection.bias", "backbone.cls_token",
            "backbone.pos_embed", "backbone.mask_token", "backbone.ln1.weight", "backbone.ln1.bias",
            "backbone.layers.0.ln1.weight", "backbone.layers.0.attn.q_proj.weight", "backbone.layers.0.attn.kv_proj.weight",
            "backbone.layers.0.attn.q_bias", "backbone.layers.0.attn.v_bias", "backbone.layers.0.attn.proj.weight",
            "backbone.layers.0.attn.proj.bias", "backbone.layers.0.ln2.bias", "backbone.layers.0.ffn.layers.0.0.weight",
            "backbone.layers.0.ffn.layers.1.weight", "backbone.layers.1.gamma_1", "backbone.layers.1.gamma_2",
            "backbone.extra_layers.1.attn.kv_proj.weight", "backbone.extra_layers.1.ffn.layers.1.bias",
            "head.cls_head.weight", "head.cls_head.bias",
        ];
        Assert.All(expected, name => Assert.Contains(name, names));
        Assert.DoesNotContain(names, n => n.Contains("drop_path", StringComparison.Ordinal) || n.Contains('<'));
    }

    [Fact]
    public void EncoderExportKeepsOnlyWhatDownstreamUses()
    {
        using var dir = new TempDirectory();
        using var model = new MimPretrainingModel(Config(MimMethod.SemanticMim, TargetKind.TokenIds));
        string path = dir.File("encoder.safetensors");

        ModelCheckpoint.ExportEncoder(path, model);
        var (tensors, metadata) = SafetensorsFile.Load(path);
        using var encoder = ModelCheckpoint.LoadEncoder(path);

        Assert.Equal(ModelCheckpoint.EncoderFormat, metadata[ModelCheckpoint.FormatKey]);
        Assert.DoesNotContain(tensors.Keys, k => k.StartsWith("extra_layers", StringComparison.Ordinal)
            || k.StartsWith("backbone.", StringComparison.Ordinal) || k is "mask_token" or "ln1.weight" || k.StartsWith("head", StringComparison.Ordinal));
        Assert.Equal(4, tensors["cls_token"].shape[1]);
        var source = ModelCheckpoint.StateDict(model);
        foreach (var (name, tensor) in tensors)
        {
            TensorAssert.Equal(source["backbone." + name], tensor, name);
        }
        // The exported encoder's plain forward equals the pretraining backbone's plain forward.
        using var noGrad = torch.no_grad();
        encoder.eval();
        model.Backbone.eval();
        var images = TestModels.Images(model.Config.Encoder, 2, seed: 3);
        TensorAssert.Equal(model.Backbone.forward(images), encoder.forward(images), "plain forward");
    }

    [Fact]
    public void LoadingAMismatchedFileListsEveryProblem()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.safetensors");
        using var model = new VisionTransformer(TestModels.Micro());
        var state = ModelCheckpoint.StateDict(model);
        state.Remove("cls_token");
        state["extra"] = torch.zeros(1);
        state["pos_embed"] = torch.zeros(1, 3, 32);

        SafetensorsFile.Save(path, state);
        var error = Assert.Throws<InvalidDataException>(() =>
            ModelCheckpoint.LoadInto(model, SafetensorsFile.Load(path).Tensors, path));

        Assert.Contains("missing 'cls_token'", error.Message);
        Assert.Contains("unexpected 'extra'", error.Message);
        Assert.Contains("'pos_embed' has shape [1, 3, 32]", error.Message);
    }

    [Fact]
    public void SafetensorsKeepsEveryDtypeAndTheMetadata()
    {
        using var dir = new TempDirectory();
        string path = dir.File("all.safetensors");
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = torch.randn(3, 4),
            ["f16"] = torch.randn(5).to(ScalarType.Float16),
            ["bf16"] = torch.randn(2, 2).to(ScalarType.BFloat16),
            ["i64"] = torch.arange(7),
            ["u8"] = torch.tensor(new byte[] { 1, 2, 255 }),
            ["bool"] = torch.tensor(new[] { true, false }),
            ["scalar"] = torch.tensor(3.5f),
        };

        SafetensorsFile.Save(path, tensors, new Dictionary<string, string> { ["note"] = "ünïcode" });
        var (loaded, metadata) = SafetensorsFile.Load(path);

        Assert.Equal("ünïcode", metadata["note"]);
        foreach (var (name, tensor) in tensors)
        {
            TensorAssert.Equal(tensor, loaded[name], name);
        }
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void TruncatedOrForeignFilesAreRejectedClearly()
    {
        using var dir = new TempDirectory();
        string path = dir.File("broken.safetensors");
        File.WriteAllBytes(path, [200, 0, 0, 0, 0, 0, 0, 0, (byte)'{']);

        var error = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Load(path));

        Assert.Contains("header size", error.Message);
    }
}
