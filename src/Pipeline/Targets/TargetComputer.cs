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
/// sampler from (seed, global sample index, view index), then HOG of the normalised model input or the
/// tokenizer's ids of the same crop at the tokenizer's input size (spec (c)).
/// </summary>
public sealed class TargetComputer(TargetPlan plan, DatasetPlan dataset, IVisualTokenizer? tokenizer)
{
    private const int SamplesPerBatch = 128;

    private readonly ViewSampler _sampler = ViewSampler.For(plan.Augmentation);

    private readonly HogTargetGenerator? _hog = plan.Hog is { } config ? new HogTargetGenerator(config) : null;

    /// <param name="firstIndex">Global index of the shard's first sample in its split, which seeds its views.</param>
    public ShardTargets Compute(ShardInfo shard, IEnumerable<ShardSample> samples, long firstIndex)
    {
        if (_hog is null && tokenizer is null)
        {
            throw new InvalidOperationException("token targets need a tokenizer");
        }
        var keys = new List<string>();
        var boxes = new List<int>();
        var hog = new List<byte>();
        var tokens = new List<int>();
        int featureDim = 0;
        foreach (var chunk in samples.Chunk(SamplesPerBatch))
        {
            var rendered = new List<ImageBuffer>(chunk.Length * plan.Views);
            foreach (var sample in chunk)
            {
                var image = ModelInput.Decode(sample, dataset);
                long index = firstIndex + keys.Count;
                keys.Add(sample.Key);
                for (int v = 0; v < plan.Views; v++)
                {
                    var view = _sampler.Sample(image.Width, image.Height, index, v);
                    boxes.AddRange(view.ToArray());
                    rendered.Add(_hog is not null
                        ? ModelInput.RenderView(image, view, plan.ImageSize)
                        : ViewRenderer.Render(image, view, plan.TokenizerInputSize, ResizeFilter.Lanczos));
                }
            }
            using var scope = NewDisposeScope();
            if (_hog is not null)
            {
                var features = _hog.Compute(ModelInput.Normalized(rendered, dataset));
                featureDim = (int)features.shape[2];
                hog.AddRange(ShardTargets.HogCodes(features));
            }
            else
            {
                var pixels = BatchTensors.Images(rendered);
                if (pixels.shape[1] == 1 && tokenizer is DalleEncoder)
                {
                    pixels = pixels.expand(-1, 3, -1, -1);
                }
                tokens.AddRange(tokenizer!.Tokenize(pixels).to_type(ScalarType.Int32).data<int>().ToArray());
            }
        }
        return new ShardTargets
        {
            Shard = shard.Name,
            ShardSha256 = shard.Sha256,
            Keys = keys,
            Views = plan.Views,
            Patches = plan.GridSize * plan.GridSize,
            FeatureDim = featureDim,
            ViewBoxes = boxes.ToArray(),
            Hog = _hog is not null ? hog.ToArray() : null,
            Tokens = _hog is null ? tokens.ToArray() : null,
        };
    }
}
