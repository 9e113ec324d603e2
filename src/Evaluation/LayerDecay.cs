using System.Globalization;
using System.Text.RegularExpressions;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>How one parameter is optimised: its layer id, learning-rate scale and weight decay.</summary>
public sealed record ParameterSetting(string Name, Parameter Parameter, int LayerId, double LearningRateScale, double WeightDecay);

/// <summary>The parameters of one AdamW group: one layer id and one weight decay.</summary>
public sealed record LayerDecayGroup(int LayerId, double LearningRateScale, double WeightDecay, IReadOnlyList<ParameterSetting> Parameters);

/// <summary>
/// BEiT's layer-wise learning-rate decay for AdamW, shared by fine-tuning (mmpretrain's
/// LearningRateDecayOptimWrapperConstructor) and UperNet (mmseg's): in a model over an encoder of depth L
/// registered as <see cref="EncoderPrefix"/>, the layer id is 0 for
/// <c>backbone.patch_embed.*</c>, <c>backbone.cls_token</c> and <c>backbone.pos_embed</c>, i + 1 for
/// <c>backbone.layers.i.*</c> and L + 1 for everything else (norm, neck, heads); the learning rate is scaled by
/// decay^(L + 1 − id). No weight decay for 1-D parameters (biases, norms, layer scales, q/v biases), any
/// <c>.bias</c>, <c>cls_token</c> and <c>pos_embed</c> (BEiT's no_weight_decay list; mmseg compares these two
/// names unprefixed and so decays them in effect, which the BEiT recipes do not intend).
/// </summary>
public static partial class LayerDecay
{
    /// <summary>The name under which a fine-tuning classifier registers its encoder.</summary>
    public const string EncoderPrefix = "backbone.";

    /// <summary>The layer id of the parameter called <paramref name="name"/> in a classifier over a depth-L encoder.</summary>
    public static int LayerId(string name, int depth)
    {
        if (!name.StartsWith(EncoderPrefix, StringComparison.Ordinal))
        {
            return depth + 1;
        }
        string encoderName = name[EncoderPrefix.Length..];
        if (encoderName is "cls_token" or "pos_embed" || encoderName.StartsWith("patch_embed.", StringComparison.Ordinal))
        {
            return 0;
        }
        var match = EncoderLayer().Match(encoderName);
        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) + 1 : depth + 1;
    }

    /// <summary>Whether AdamW's weight decay applies to the parameter.</summary>
    public static bool DecaysWeight(string name, Parameter parameter)
    {
        string leaf = name.StartsWith(EncoderPrefix, StringComparison.Ordinal) ? name[EncoderPrefix.Length..] : name;
        return parameter.dim() > 1 && !name.EndsWith(".bias", StringComparison.Ordinal)
            && leaf is not ("cls_token" or "pos_embed");
    }

    /// <summary>The learning-rate scale of the parameter called <paramref name="name"/>: decay^(L + 1 − id).</summary>
    public static double Scale(string name, int depth, double decay) => Math.Pow(decay, depth + 1 - LayerId(name, depth));

    /// <summary>The trainable parameters of <paramref name="model"/> grouped by (layer id, weight decay), in first-seen order.</summary>
    public static IReadOnlyList<LayerDecayGroup> Groups(nn.Module model, int depth, double decay, double weightDecay) =>
        Settings(model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)), depth, decay, weightDecay)
            .GroupBy(s => (s.LayerId, s.WeightDecay))
            .Select(g => new LayerDecayGroup(g.Key.LayerId, g.First().LearningRateScale, g.Key.WeightDecay, g.ToArray()))
            .ToArray();

    /// <summary>The setting of every parameter, in the order given.</summary>
    public static IReadOnlyList<ParameterSetting> Settings(
        IEnumerable<(string Name, Parameter Parameter)> parameters, int depth, double decay, double weightDecay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        if (decay is <= 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(decay), decay, "layer decay must lie in (0, 1]");
        }
        return parameters.Select(p =>
        {
            int id = LayerId(p.Name, depth);
            return new ParameterSetting(
                p.Name, p.Parameter, id, Math.Pow(decay, depth + 1 - id), DecaysWeight(p.Name, p.Parameter) ? weightDecay : 0);
        }).ToArray();
    }

    [GeneratedRegex(@"^layers\.(\d+)\.")]
    private static partial Regex EncoderLayer();
}
