using System.Text.RegularExpressions;
using SemanticMIM.Planning.Configs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Model;

/// <summary>
/// Initialisation of spec (a): Linear and Conv weights N(0, 0.02) truncated at ±2 (absolute, so in effect
/// untruncated), biases 0, LayerNorm 1/0, tokens and position embeddings N(0, 0.02). BEiT flavour only:
/// attn.proj and ffn fc2 weights of the layer with 1-based index l, in both stacks, divided by √(2l).
/// </summary>
public static partial class WeightInit
{
    public const double Std = 0.02;

    public static void Apply(nn.Module root, VisionTransformerConfig config)
    {
        using var noGrad = torch.no_grad();
        foreach (var (_, module) in root.named_modules())
        {
            switch (module)
            {
                case Linear linear:
                    TruncatedNormal(linear.weight!);
                    if (linear.bias is not null)
                    {
                        nn.init.zeros_(linear.bias);
                    }
                    break;
                case Conv2d conv:
                    TruncatedNormal(conv.weight!);
                    if (conv.bias is not null)
                    {
                        nn.init.zeros_(conv.bias);
                    }
                    break;
                case LayerNorm norm:
                    nn.init.ones_(norm.weight!);
                    nn.init.zeros_(norm.bias!);
                    break;
            }
        }
        foreach (var (name, parameter) in root.named_parameters())
        {
            if (name is "cls_token" or "pos_embed" or "mask_token")
            {
                TruncatedNormal(parameter);
            }
            else if (config.Flavour == BlockFlavour.Beit && RescaledWeight().Match(name) is { Success: true } match)
            {
                int layer = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1;
                parameter.div_(Math.Sqrt(2.0 * layer));
            }
        }
    }

    /// <summary>
    /// N(0, std²) truncated at ±2 in absolute value, as mmengine's trunc_normal_ does; at 100σ the bounds are
    /// never reached, so a clamp is exact in practice. (TorchSharp 0.107's trunc_normal_ fills near-constant values.)
    /// </summary>
    public static void TruncatedNormal(Tensor tensor, double std = Std, Generator? generator = null)
    {
        using var noGrad = torch.no_grad();
        tensor.normal_(0, std, generator).clamp_(-2, 2);
    }

    [GeneratedRegex(@"^(?:extra_)?layers\.(\d+)\.(?:attn\.proj|ffn\.layers\.1)\.weight$")]
    private static partial Regex RescaledWeight();
}
