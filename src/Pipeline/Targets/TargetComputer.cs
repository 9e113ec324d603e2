using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Shards;
using SemanticMIM.Data.Tensors;
using SemanticMIM.Data.Views;
using SemanticMIM.Model.Targets;
using SemanticMIM.Planning;
using static TorchSharp.torch;

namespace SemanticMIM.Pipeline.Targets;

/// <summary>
/// Computes one shard's targets: for every sample, <see cref="TargetPlan.Views"/> views drawn by the plan's
/// sampler from (seed, global sample index, view index), then their targets (<see cref="ViewTargets"/>: HOG of the
/// normalised model input or the tokenizer's ids of the same crop at the tokenizer's input size, spec (c)).
/// </summary>
public sealed class TargetComputer
{
    private const int SamplesPerBatch = 128;

    private readonly TargetPlan _plan;
    private readonly DatasetPlan _dataset;
    private readonly ViewSampler _sampler;
    private readonly ViewTargets _targets;

    public TargetComputer(TargetPlan plan, DatasetPlan dataset, IVisualTokenizer? tokenizer)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Views == 0)
        {
            throw new InvalidOperationException($"target {plan.Id} has views: 0: the trainer computes its targets online, and none are stored");
        }
        _plan = plan;
        _dataset = dataset;
        _sampler = ViewSampler.For(plan.Augmentation);
        _targets = new ViewTargets(plan, tokenizer);
    }

    /// <param name="firstIndex">Global index of the shard's first sample in its split, which seeds its views.</param>
    public ShardTargets Compute(ShardInfo shard, IEnumerable<ShardSample> samples, long firstIndex)
    {
        var keys = new List<string>();
        var boxes = new List<int>();
        var hog = new List<byte>();
        var tokens = new List<int>();
        int featureDim = 0;
        foreach (var chunk in samples.Chunk(SamplesPerBatch))
        {
            var rendered = new List<ImageBuffer>(chunk.Length * _plan.Views);
            foreach (var sample in chunk)
            {
                var image = ModelInput.Decode(sample, _dataset);
                long index = firstIndex + keys.Count;
                keys.Add(sample.Key);
                for (int v = 0; v < _plan.Views; v++)
                {
                    var view = _sampler.Sample(image.Width, image.Height, index, v);
                    boxes.AddRange(view.ToArray());
                    rendered.Add(_targets.IsHog ? ModelInput.RenderView(image, view, _plan.ImageSize) : _targets.RenderTokenizerInput(image, view));
                }
            }
            using var scope = NewDisposeScope();
            if (_targets.IsHog)
            {
                var features = _targets.Hog(ModelInput.Normalized(rendered, _dataset));
                featureDim = (int)features.shape[2];
                hog.AddRange(ShardTargets.HogBytes(features, _plan.HogStorage));
            }
            else
            {
                tokens.AddRange(_targets.Tokens(BatchTensors.Images(rendered)).to_type(ScalarType.Int32).data<int>().ToArray());
            }
        }
        return new ShardTargets
        {
            Shard = shard.Name,
            ShardSha256 = shard.Sha256,
            Keys = keys,
            Views = _plan.Views,
            Patches = _plan.GridSize * _plan.GridSize,
            FeatureDim = featureDim,
            ViewBoxes = boxes.ToArray(),
            Hog = _targets.IsHog ? hog.ToArray() : null,
            HogStorage = _plan.HogStorage,
            Tokens = _targets.IsHog ? null : tokens.ToArray(),
        };
    }
}
