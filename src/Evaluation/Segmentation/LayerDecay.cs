using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Segmentation;

/// <summary>One AdamW parameter group: parameters sharing a layer id and whether weight decay applies.</summary>
public sealed record LayerDecayGroup(
    int LayerId, bool Decayed, double LearningRateScale, IReadOnlyList<(string Name, Parameter Parameter)> Parameters);

/// <summary>
/// mmseg's layer-wise learning-rate decay for ViTs (spec (f)): with depth L, id 0 for <c>backbone.cls_token</c>,
/// <c>backbone.pos_embed</c> and <c>backbone.patch_embed.*</c>, i + 1 for <c>backbone.layers.i.*</c>, L + 1 for
/// everything else (neck, heads); the scale is rate^(L + 1 − id). 1-D parameters, biases, pos_embed and cls_token
/// get no weight decay.
/// </summary>
public static class LayerDecay
{
    private const string Backbone = "backbone.";

    public static int LayerId(string name, int depth)
    {
        if (name is "backbone.cls_token" or "backbone.pos_embed" || name.StartsWith("backbone.patch_embed.", StringComparison.Ordinal))
        {
            return 0;
        }
        const string layers = Backbone + "layers.";
        if (name.StartsWith(layers, StringComparison.Ordinal))
        {
            var index = name[layers.Length..].Split('.')[0];
            return int.Parse(index, System.Globalization.CultureInfo.InvariantCulture) + 1;
        }
        return depth + 1;
    }

    public static double Scale(string name, int depth, double rate) => ScaleOf(LayerId(name, depth), depth, rate);

    /// <summary>
    /// Whether weight decay applies. mmseg compares the unprefixed names 'pos_embed' and 'cls_token' with prefixed
    /// ones, so it decays them in effect; they are exempt here, as the BEiT recipes intend.
    /// </summary>
    public static bool IsDecayed(string name, long dimensions) =>
        !(dimensions <= 1 || name.EndsWith(".bias", StringComparison.Ordinal) || name is "backbone.pos_embed" or "backbone.cls_token");

    /// <summary>The trainable parameters of <paramref name="model"/> grouped by (layer id, decayed), in first-seen order.</summary>
    public static IReadOnlyList<LayerDecayGroup> Groups(nn.Module model, int depth, double rate)
    {
        var groups = new Dictionary<(int, bool), List<(string, Parameter)>>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!parameter.requires_grad)
            {
                continue;
            }
            var key = (LayerId(name, depth), IsDecayed(name, parameter.dim()));
            if (!groups.TryGetValue(key, out var members))
            {
                groups[key] = members = [];
            }
            members.Add((name, parameter));
        }
        return groups
            .Select(group => new LayerDecayGroup(group.Key.Item1, group.Key.Item2, ScaleOf(group.Key.Item1, depth, rate), group.Value))
            .ToArray();
    }

    private static double ScaleOf(int layerId, int depth, double rate) => Math.Pow(rate, depth + 1 - layerId);
}
