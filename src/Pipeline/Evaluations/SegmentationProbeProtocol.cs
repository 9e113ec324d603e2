using System.Globalization;
using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Evaluations;
using SemanticMIM.Evaluation;
using SemanticMIM.Pipeline.Loading;
using static SemanticMIM.Pipeline.Evaluations.ProtocolDefaults;

namespace SemanticMIM.Pipeline.Evaluations;

/// <summary>The linear segmentation probe of spec (f) (PascalVOC protocol) on the pretrained and random-init encoders.</summary>
public sealed class SegmentationProbeProtocol : IEvaluationProtocol
{
    public string Name => SegmentationProbeDescriptor.Name;

    /// <summary>The whole image squashed to S², as the VOC probe's evaluation resize.</summary>
    public EvaluationView View => EvaluationView.Squashed;

    /// <summary>The segmentation-probe options of an evaluation: its values, else the spec's VOC recipe.</summary>
    public static SegmentationProbeOptions Options(EvaluationSpec evaluation, int seed)
    {
        var defaults = new SegmentationProbeOptions();
        return defaults with
        {
            Layer = evaluation.Layer,
            Epochs = Or(evaluation.Epochs, defaults.Epochs),
            BatchSize = Or(evaluation.BatchSize, defaults.BatchSize),
            LearningRate = evaluation.LearningRate,
            Seed = (ulong)seed,
        };
    }

    public IReadOnlyList<EvaluationResult> Run(EvaluationContext context)
    {
        var options = Options(context.Evaluation, context.Plan.Spec.Training.Seed) with { Cancellation = context.Cancellation };
        int depth = context.Plan.Model.Encoder.Depth;
        string recipe = string.Create(CultureInfo.InvariantCulture,
            $"linear segmentation probe: layer {options.LayerFor(depth)} of {depth} (patch tokens, no norm), 1×1 conv; {options.Epochs} epochs, batch {options.BatchSize}, ")
            + string.Create(CultureInfo.InvariantCulture,
            $"SGD lr {options.EffectiveLearningRate:G3} momentum {options.Momentum} wd {options.WeightDecay:G3}, step ×{options.StepGamma} every {options.StepEpochs} epochs; ")
            + string.Create(CultureInfo.InvariantCulture,
            $"each image and label map resized to {context.Dataset.ImageSize}², training views RandomResizedCrop({options.MinScale}, 1) + flip of that resized image ")
            + string.Create(CultureInfo.InvariantCulture, $"(the reference crops the original), logits and labels at {options.TrainLabelSize}²; validated every epoch at {context.Dataset.ImageSize}², ")
            + "miou = the best epoch's (as the official script), miou_last = the last epoch's";
        var train = new NormalizedImages(context.Train, context.Dataset.Mean, context.Dataset.Std);
        var test = new NormalizedImages(context.Test, context.Dataset.Mean, context.Dataset.Std);
        var results = new List<EvaluationResult>();
        foreach (var (name, encoder) in context.Encoders(context.Dataset.ImageSize))
        {
            using (encoder)
            {
                context.Step?.Invoke($"segmentation probe on the {name} encoder");
                var report = LinearSegmentationProbe.Run(encoder, context.Train.ClassCount, train, test, options);
                results.AddRange(report.Results.Select(r => context.Result(name, r, recipe)));
            }
        }
        return results;
    }
}
