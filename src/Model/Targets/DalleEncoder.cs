using System.Collections;
using SemanticMIM.Planning.Configs;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Targets;

/// <summary>A convolution whose parameters are named <c>w</c> and <c>b</c>, as in OpenAI's dall_e package, with "same" padding.</summary>
public sealed class DalleConv2d : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "w")]
    private readonly Parameter _weight;

    [ComponentName(Name = "b")]
    private readonly Parameter _bias;

    private readonly int _padding;

    public DalleConv2d(int inChannels, int outChannels, int kernel) : base(nameof(DalleConv2d))
    {
        _padding = (kernel - 1) / 2;
        // dall_e's own init: N(0, 1/sqrt(fan_in)) weights, zero bias.
        _weight = nn.Parameter(torch.randn(outChannels, inChannels, kernel, kernel).mul_(1.0 / Math.Sqrt(inChannels * kernel * kernel)));
        _bias = nn.Parameter(torch.zeros(outChannels));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => nn.functional.conv2d(x, _weight, _bias, padding: [_padding, _padding]);
}

/// <summary>
/// One residual block: id(x) + (1 / n_layers²) · res(x), res = ReLU, conv3×3 → n_out/4, ReLU, conv3×3, ReLU,
/// conv3×3, ReLU, conv1×1 → n_out; id is a 1×1 convolution when the width changes.
/// </summary>
public sealed class DalleEncoderBlock : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "id_path")]
    private readonly nn.Module<Tensor, Tensor> _idPath;

    [ComponentName(Name = "res_path")]
    private readonly Sequential _resPath;

    private readonly double _postGain;

    public DalleEncoderBlock(int inChannels, int outChannels, int totalLayers) : base(nameof(DalleEncoderBlock))
    {
        int hidden = outChannels / 4;
        _postGain = 1.0 / (totalLayers * totalLayers);
        _idPath = inChannels == outChannels ? nn.Identity() : new DalleConv2d(inChannels, outChannels, 1);
        _resPath = nn.Sequential(
            ("relu_1", nn.ReLU()), ("conv_1", new DalleConv2d(inChannels, hidden, 3)),
            ("relu_2", nn.ReLU()), ("conv_2", new DalleConv2d(hidden, hidden, 3)),
            ("relu_3", nn.ReLU()), ("conv_3", new DalleConv2d(hidden, hidden, 3)),
            ("relu_4", nn.ReLU()), ("conv_4", new DalleConv2d(hidden, outChannels, 1)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var identity = _idPath.forward(x);
        using var residual = _resPath.forward(x);
        return identity + residual * _postGain;
    }
}

/// <summary>
/// The DALL-E dVAE encoder (spec (c)): input conv 7×7, four groups of residual blocks at widths 1, 2, 4, 8 ×
/// hidden with 2×2 max-pooling after the first three, then ReLU and a 1×1 conv to the code logits; 8× total
/// downsampling. Parameter names match OpenAI's released encoder (<c>blocks.group_1.block_1.res_path.conv_1.w</c>…),
/// so its weights load from a PyTorch state_dict or a safetensors file.
/// </summary>
public sealed class DalleEncoder : nn.Module<Tensor, Tensor>, IVisualTokenizer
{
    [ComponentName(Name = "blocks")]
    private readonly Sequential _blocks;

    public DalleEncoder(DalleEncoderConfig config) : base(nameof(DalleEncoder))
    {
        Config = config;
        int hidden = config.HiddenChannels;
        int totalLayers = 4 * config.BlocksPerGroup;
        var stages = new List<(string, nn.Module<Tensor, Tensor>)> { ("input", new DalleConv2d(config.InputChannels, hidden, 7)) };
        int width = hidden;
        int[] multipliers = [1, 2, 4, 8];
        for (int g = 0; g < multipliers.Length; g++)
        {
            int outWidth = multipliers[g] * hidden;
            var group = new List<(string, nn.Module<Tensor, Tensor>)>();
            for (int b = 0; b < config.BlocksPerGroup; b++)
            {
                group.Add(($"block_{b + 1}", new DalleEncoderBlock(b == 0 ? width : outWidth, outWidth, totalLayers)));
            }
            if (g < multipliers.Length - 1)
            {
                group.Add(("pool", nn.MaxPool2d(2)));
            }
            stages.Add(($"group_{g + 1}", nn.Sequential(group)));
            width = outWidth;
        }
        stages.Add(("output", nn.Sequential(("relu", nn.ReLU()), ("conv", new DalleConv2d(width, config.VocabSize, 1)))));
        _blocks = nn.Sequential(stages);
        RegisterComponents();
    }

    public DalleEncoderConfig Config { get; }

    public int VocabSize => Config.VocabSize;

    public int DownsampleFactor => 8;

    /// <summary>Code logits (B, vocab, H/8, W/8) for inputs already mapped by <see cref="MapPixels"/>.</summary>
    public override Tensor forward(Tensor mappedImages) => _blocks.forward(mappedImages);

    /// <summary>DALL-E's logit-Laplace input mapping with ε = 0.1: x ∈ [0, 1] ↦ 0.8·x + 0.1.</summary>
    public static Tensor MapPixels(Tensor images) => images * 0.8 + 0.1;

    public Tensor Tokenize(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var logits = forward(MapPixels(images));
        return logits.argmax(1).flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Loads real encoder weights from a PyTorch state_dict (<c>.pth</c>/<c>.pt</c>, e.g. OpenMMLab's
    /// <c>dalle_encoder.pth</c>) or a safetensors file. A leading <c>encoder.</c> or <c>module.</c> on the names
    /// is dropped; every name and shape must then match.
    /// </summary>
    public void LoadWeights(string path)
    {
        var tensors = path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
            ? Checkpoints.SafetensorsFile.Load(path).Tensors
            : ReadPyTorchStateDict(path);
        try
        {
            var renamed = tensors.ToDictionary(p => StripPrefix(p.Key), p => p.Value, StringComparer.Ordinal);
            Checkpoints.ModelCheckpoint.LoadInto(this, renamed, path);
        }
        finally
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }
    }

    private static Dictionary<string, Tensor> ReadPyTorchStateDict(string path)
    {
        using var stream = File.OpenRead(path);
        Hashtable table = PyTorchUnpickler.UnpickleStateDict(stream);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Value is Tensor tensor)
            {
                result[(string)entry.Key] = tensor;
            }
        }
        return result;
    }

    private static string StripPrefix(string name)
    {
        foreach (var prefix in new[] { "encoder.", "module." })
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                return name[prefix.Length..];
            }
        }
        return name;
    }
}
