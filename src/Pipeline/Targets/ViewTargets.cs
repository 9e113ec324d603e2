using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Views;
using SemanticMIM.Model.Targets;
using SemanticMIM.Planning;
using static TorchSharp.torch;

namespace SemanticMIM.Pipeline.Targets;

/// <summary>
/// The one computation of targets from views, batched, on the input's device: HOG of the normalised model input, or the
/// tokenizer's ids of the same crop rendered at the tokenizer's input size (spec (c)). The target stage stores what it
/// computes (<see cref="TargetComputer"/>); with <c>target.views: 0</c> the trainer's loader computes each step's
/// targets from that step's views (<see cref="OnlineTargets"/>), so both are the same function of the same pixels.
/// </summary>
public sealed class ViewTargets
{
    private readonly TargetPlan _plan;
    private readonly HogTargetGenerator? _hog;
    private readonly IVisualTokenizer? _tokenizer;

    public ViewTargets(TargetPlan plan, IVisualTokenizer? tokenizer)
    {
        ArgumentNullException.ThrowIfNull(plan);
        _plan = plan;
        _hog = plan.Hog is { } config ? new HogTargetGenerator(config) : null;
        _tokenizer = tokenizer;
    }

    public bool IsHog => _hog is not null;

    /// <summary>The pixels a view's tokens are computed from: its crop at the tokenizer's input size (HOG reads the model input itself).</summary>
    public ImageBuffer RenderTokenizerInput(ImageBuffer image, CropView view) =>
        ViewRenderer.Render(image, view, _plan.TokenizerInputSize, ResizeFilter.Lanczos);

    /// <summary>HOG features (B, N, F) of normalised model input (B, C, S, S).</summary>
    public Tensor Hog(Tensor modelInput) =>
        (_hog ?? throw new InvalidOperationException($"target {_plan.Id} is not HOG")).Compute(modelInput);

    /// <summary>Token ids (B, N), int64, of tokenizer input (B, C, 8·g, 8·g) with pixels in [0, 1].</summary>
    public Tensor Tokens(Tensor tokenizerInput)
    {
        // Checked here, not when built: the target stage builds one without a tokenizer to find files already computed.
        var tokenizer = _tokenizer ?? throw new InvalidOperationException($"token targets need a tokenizer (target {_plan.Id})");
        // DALL-E reads RGB: a grayscale view is its one channel repeated.
        if (tokenizerInput.shape[1] == 1 && tokenizer is DalleEncoder)
        {
            using var rgb = tokenizerInput.expand(-1, 3, -1, -1);
            return tokenizer.Tokenize(rgb);
        }
        return tokenizer.Tokenize(tokenizerInput);
    }
}
