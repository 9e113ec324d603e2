using SemanticMIM.Data.Views;
using SemanticMIM.Model.Targets;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Pipeline.Targets;

/// <summary>
/// Targets computed on every step from that step's own view, as the official code does (<c>target.views: 0</c>): the
/// loader draws a fresh view of every sample in every epoch, from (view seed, global sample index, epoch), and the batch's
/// targets are computed on the training device by the target stage's own code (<see cref="ViewTargets"/>). Nothing is
/// stored, and a batch still depends on its position alone, so a resumed run is exact. Owns its tokenizer.
/// </summary>
public sealed class OnlineTargets : IDisposable
{
    private readonly IVisualTokenizer? _tokenizer;

    public OnlineTargets(TargetPlan plan, IVisualTokenizer? tokenizer, Device device)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(device);
        if (plan.Views != 0)
        {
            throw new InvalidOperationException($"target {plan.Id} records {plan.Views} views per sample: its targets are stored, not computed online");
        }
        (tokenizer as nn.Module<Tensor, Tensor>)?.to(device);
        _tokenizer = tokenizer;
        Sampler = ViewSampler.For(plan.Augmentation);
        Targets = new ViewTargets(plan, tokenizer);
        Device = device;
        TokenizerInputSize = plan.TokenizerInputSize;
    }

    /// <summary>Draws every view: the recorded views' sampler, so epoch e of an online run sees view e of the stored ones.</summary>
    public ViewSampler Sampler { get; }

    public ViewTargets Targets { get; }

    /// <summary>Where the targets are computed and the batch is handed over: the trainer's device.</summary>
    public Device Device { get; }

    public int TokenizerInputSize { get; }

    /// <summary>
    /// The targets of a plan whose <c>target.views</c> is 0, else null. A VQ tokenizer is trained once and stored, or
    /// loaded when it already is, as for stored token targets (<see cref="TokenizerStage.ForPlanAsync"/>).
    /// </summary>
    public static async Task<OnlineTargets?> ForPlanAsync(StoreFiles files, ExperimentPlan plan, Device device, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Targets.Views > 0)
        {
            return null;
        }
        var tokenizer = plan.Targets.IsHog ? null : (await TokenizerStage.ForPlanAsync(files, plan, cancellation: cancellation)).Value.Tokenizer;
        return new OnlineTargets(plan.Targets, tokenizer, device);
    }

    /// <summary>
    /// A training batch on the device: the normalised model input (B, C, S, S) and its targets, HOG of that input or the
    /// tokens of <paramref name="tokenizerInput"/> (the same crops at the tokenizer's input size, pixels in [0, 1]).
    /// </summary>
    public TrainingBatch Batch(Tensor images, Tensor? tokenizerInput)
    {
        ArgumentNullException.ThrowIfNull(images);
        var input = images.to(Device);
        if (Targets.IsHog)
        {
            return new TrainingBatch(input, Targets.Hog(input));
        }
        // Not disposed here: on the CPU it is the caller's tensor itself, which the caller's dispose scope owns.
        var pixels = (tokenizerInput ?? throw new ArgumentNullException(nameof(tokenizerInput), "token targets need the tokenizer's input")).to(Device);
        return new TrainingBatch(input, Targets.Tokens(pixels));
    }

    public void Dispose() => (_tokenizer as IDisposable)?.Dispose();
}
