using SemanticMIM.Planning.Configs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Training;

/// <summary>A trainable parameter with its state_dict name.</summary>
public sealed record NamedParameter(string Name, Parameter Parameter);

/// <summary>The trainable parameters split by whether weight decay applies, each list in the model's order.</summary>
public sealed record ParameterGroupSplit(IReadOnlyList<NamedParameter> Decayed, IReadOnlyList<NamedParameter> NotDecayed);

/// <summary>Weight-decay parameter groups of spec (e), by parameter name (names as in the Model README).</summary>
public static class ParameterGroups
{
    private static readonly string[] BeitExemptNames = ["q_bias", "v_bias", "cls_token", "pos_embed"];

    /// <summary>Whether <paramref name="name"/> (of a parameter with <paramref name="dimensions"/> dims) is decayed.</summary>
    public static bool IsDecayed(string name, long dimensions, WeightDecayRule rule)
    {
        var segments = name.Split('.');
        var last = segments[^1];
        bool isBias = last == "bias" || last.EndsWith("_bias", StringComparison.Ordinal);
        bool isNorm = segments.Any(s => s.StartsWith("ln", StringComparison.Ordinal) || s.Contains("norm", StringComparison.Ordinal));
        return rule switch
        {
            WeightDecayRule.Beit => !(isBias || isNorm || BeitExemptNames.Contains(last) || last.StartsWith("gamma", StringComparison.Ordinal)),
            WeightDecayRule.MaskFeat => !(isBias || isNorm || dimensions <= 1 || last == "mask_token"),
            _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "unknown weight-decay rule"),
        };
    }

    /// <summary>Splits the parameters of <paramref name="model"/> that require gradients.</summary>
    public static ParameterGroupSplit Split(nn.Module model, WeightDecayRule rule)
    {
        var decayed = new List<NamedParameter>();
        var notDecayed = new List<NamedParameter>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!parameter.requires_grad)
            {
                continue;
            }
            (IsDecayed(name, parameter.dim(), rule) ? decayed : notDecayed).Add(new NamedParameter(name, parameter));
        }
        return new ParameterGroupSplit(decayed, notDecayed);
    }

    /// <summary>AdamW over the two groups: <see cref="TrainingConfig.WeightDecay"/> on one, none on the other.</summary>
    public static AdamW CreateAdamW(nn.Module model, TrainingConfig config)
    {
        var split = Split(model, config.DecayRule);
        AdamW.ParamGroup Group(IReadOnlyList<NamedParameter> members, double weightDecay) =>
            new(members.Select(m => m.Parameter).ToList(), config.PeakLearningRate, config.Beta1, config.Beta2, config.Epsilon, weightDecay);
        return new AdamW(
            [Group(split.Decayed, config.WeightDecay), Group(split.NotDecayed, 0)],
            config.PeakLearningRate, config.Beta1, config.Beta2, config.Epsilon);
    }
}
