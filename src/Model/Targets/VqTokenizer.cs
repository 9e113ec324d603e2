using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Targets;

/// <summary>Shape of the project's own discrete tokenizer.</summary>
public sealed record VqTokenizerConfig
{
    public int InputChannels { get; init; } = 3;
    public int HiddenChannels { get; init; } = 64;
    public int CodeDim { get; init; } = 32;
    public int VocabSize { get; init; } = 512;

    /// <summary>Weight of the commitment term β (VQ-VAE).</summary>
    public double Commitment { get; init; } = 0.25;
}

/// <summary>One training step's result: the total loss and its parts, the codes used and the reconstructed images.</summary>
public sealed record VqLoss(Tensor Total, Tensor Reconstruction, Tensor Codebook, Tensor Commitment, Tensor Codes, Tensor Reconstructed)
    : IDisposable
{
    public void Dispose()
    {
        Reconstructed.Dispose();
        Total.Dispose();
        Reconstruction.Dispose();
        Codebook.Dispose();
        Commitment.Dispose();
        Codes.Dispose();
    }
}

/// <summary>
/// A small VQ-VAE tokenizer this project trains itself where DALL-E weights are not at hand (a documented
/// deviation, spec (c)): three stride-2 convolutions (8× downsampling, the same grid as DALL-E), nearest-code
/// quantisation with a straight-through gradient, a mirrored decoder, and the VQ-VAE loss
/// ‖x − x̂‖² + ‖sg[z] − e‖² + β‖z − sg[e]‖². Inputs are pixels in [0, 1].
/// </summary>
public sealed class VqTokenizer : nn.Module<Tensor, Tensor>, IVisualTokenizer
{
    [ComponentName(Name = "encoder")]
    private readonly Sequential _encoder;

    [ComponentName(Name = "codebook")]
    private readonly Embedding _codebook;

    [ComponentName(Name = "decoder")]
    private readonly Sequential _decoder;

    public VqTokenizer(VqTokenizerConfig config) : base(nameof(VqTokenizer))
    {
        Config = config;
        int c = config.InputChannels, h = config.HiddenChannels, d = config.CodeDim;
        _encoder = nn.Sequential(
            nn.Conv2d(c, h, 4, stride: 2, padding: 1), nn.ReLU(),
            nn.Conv2d(h, h, 4, stride: 2, padding: 1), nn.ReLU(),
            nn.Conv2d(h, h, 4, stride: 2, padding: 1), nn.ReLU(),
            nn.Conv2d(h, d, 1));
        _codebook = nn.Embedding(config.VocabSize, d);
        _decoder = nn.Sequential(
            nn.Conv2d(d, h, 3, padding: 1), nn.ReLU(),
            nn.ConvTranspose2d(h, h, 4, stride: 2, padding: 1), nn.ReLU(),
            nn.ConvTranspose2d(h, h, 4, stride: 2, padding: 1), nn.ReLU(),
            nn.ConvTranspose2d(h, c, 4, stride: 2, padding: 1));
        RegisterComponents();
        using var noGrad = torch.no_grad();
        nn.init.uniform_(_codebook.weight!, -1.0 / config.VocabSize, 1.0 / config.VocabSize);
    }

    public VqTokenizerConfig Config { get; }

    public int VocabSize => Config.VocabSize;

    public int DownsampleFactor => 8;

    /// <summary>Reconstruction (B, C, H, W) through the quantised bottleneck, detached from the graph.</summary>
    public override Tensor forward(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        var (z, _, quantized) = Quantize(Center(images));
        var straightThrough = z + (quantized - z).detach();
        return (_decoder.forward(straightThrough) + 0.5).detach().MoveToOuterDisposeScope();
    }

    public Tensor Tokenize(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var z = _encoder.forward(Center(images));
        return NearestCodes(z).flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Replaces codes that no image of <paramref name="images"/> uses by randomly chosen encoder outputs of that
    /// batch, the usual remedy for a collapsing codebook. Returns how many codes were replaced.
    /// </summary>
    public int RestartUnusedCodes(Tensor images, Tensor usageCounts, Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var unused = (usageCounts == 0).nonzero().flatten();
        long count = unused.shape[0];
        if (count == 0)
        {
            return 0;
        }
        var z = _encoder.forward(Center(images)).permute(0, 2, 3, 1).reshape(-1, Config.CodeDim);
        var picks = torch.randint(z.shape[0], [count], generator: generator);
        _codebook.weight!.index_copy_(0, unused, z.index_select(0, picks));
        return (int)count;
    }

    /// <summary>The VQ-VAE loss for a batch of images in [0, 1].</summary>
    public VqLoss Loss(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        var x = Center(images);
        var (z, codes, quantized) = Quantize(x);
        var straightThrough = z + (quantized - z).detach();
        var decoded = _decoder.forward(straightThrough);
        var reconstructionLoss = nn.functional.mse_loss(decoded, x);
        var codebookLoss = nn.functional.mse_loss(quantized, z.detach());
        var commitmentLoss = nn.functional.mse_loss(z, quantized.detach());
        var total = reconstructionLoss + codebookLoss + commitmentLoss * Config.Commitment;
        return new VqLoss(
            total.MoveToOuterDisposeScope(), reconstructionLoss.MoveToOuterDisposeScope(),
            codebookLoss.MoveToOuterDisposeScope(), commitmentLoss.MoveToOuterDisposeScope(),
            codes.MoveToOuterDisposeScope(), (decoded + 0.5).MoveToOuterDisposeScope());
    }

    // Encoder output z (B, d, h, w), its nearest codes (B, h, w) and their vectors (B, d, h, w).
    private (Tensor Z, Tensor Codes, Tensor Quantized) Quantize(Tensor centered)
    {
        var z = _encoder.forward(centered);
        var codes = NearestCodes(z);
        return (z, codes, _codebook.forward(codes).permute(0, 3, 1, 2));
    }

    // Centring pixels around zero keeps the first layers' activations balanced.
    private static Tensor Center(Tensor images) => images - 0.5;

    private Tensor NearestCodes(Tensor z)
    {
        long batch = z.shape[0], height = z.shape[2], width = z.shape[3];
        var flat = z.permute(0, 2, 3, 1).reshape(-1, Config.CodeDim);
        var distances = torch.cdist(flat, _codebook.weight!);
        return distances.argmin(1).view(batch, height, width);
    }
}
