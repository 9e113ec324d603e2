using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Evaluations;
using SemanticMIM.Evaluation;
using SemanticMIM.Model;
using SemanticMIM.Pipeline.Loading;
using SemanticMIM.Planning;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Pipeline.Evaluations;

/// <summary>
/// What one evaluation works with, and how its results are labelled: the plan and the evaluation's spec and
/// descriptor, the evaluated data set and its two splits read through the protocol's <see cref="IEvaluationProtocol.View"/>,
/// the pretrained encoder (the stage's to dispose) and its store key, where progress steps are reported, the token
/// that stops the run between batches (a cancelled job), and a local scratch folder for what a protocol spills to disk.
/// </summary>
public sealed record EvaluationContext(ExperimentPlan Plan, EvaluationSpec Evaluation, EvaluationProtocolDescriptor Descriptor,
    DatasetPlan Dataset, ShardImages Train, ShardImages Test, VisionTransformer Pretrained, string EncoderKey, Action<string>? Step,
    CancellationToken Cancellation, string Scratch)
{
    /// <summary>The data set and splits, as results name them.</summary>
    public string DatasetName => $"{Dataset.Id}/{Dataset.TrainSplit}→{Dataset.EvaluationSplit}";

    /// <summary>One measured number, labelled with the protocol's result name, this data set and, for the pretrained encoder, its checkpoint.</summary>
    public EvaluationResult Result(string encoder, ProbeResult probe, string recipe) => new()
    {
        Protocol = Descriptor.ResultName,
        Encoder = encoder,
        Layer = probe.Layer,
        Feature = probe.Feature,
        Metric = probe.Metric,
        Value = probe.Value,
        Recipe = recipe,
        Dataset = DatasetName,
        Checkpoint = encoder == EncoderKinds.Pretrained ? EncoderKey : "",
    };

    /// <summary>Where the protocols compute (<see cref="ComputeDevice"/>).</summary>
    public Device Device { get; } = ComputeDevice.Default;

    /// <summary>
    /// The pretrained encoder and the random-init control (seeded from the spec), both at <paramref name="imageSize"/>
    /// with position embeddings resized, on <see cref="Device"/>; each is the caller's to dispose.
    /// </summary>
    public IEnumerable<(string Name, VisionTransformer Encoder)> Encoders(int imageSize)
    {
        yield return (EncoderKinds.Pretrained, Pretrained.Adapted(imageSize, dropPathRate: 0).to(Device));
        random.manual_seed(Plan.Spec.Training.Seed + 1);
        using var randomInit = new VisionTransformer(Plan.Model.Encoder);
        yield return (EncoderKinds.RandomInit, randomInit.Adapted(imageSize, dropPathRate: 0).to(Device));
    }
}
