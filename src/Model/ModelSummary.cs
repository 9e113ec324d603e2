using System.Globalization;
using System.Text;
using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Model;

/// <summary>A readable outline of a model: its components with parameter counts and the token bookkeeping.</summary>
public static class ModelSummary
{
    public static long CountParameters(nn.Module module) => module.parameters().Sum(p => p.numel());

    /// <summary>Parameters of what is kept after pretraining (patch_embed, cls_token, pos_embed, layers).</summary>
    public static long CountEncoderParameters(MimPretrainingModel model) =>
        model.named_parameters()
            .Where(p => Checkpoints.ModelCheckpoint.EncoderPrefixes.Any(keep =>
                p.name.StartsWith("backbone." + keep, StringComparison.Ordinal)))
            .Sum(p => p.parameter.numel());

    public static string Describe(MimPretrainingModel model, double maskRatio)
    {
        var config = model.Config;
        var encoder = config.Encoder;
        var text = new StringBuilder();
        var culture = CultureInfo.InvariantCulture;
        int masked = Masking.MaskGenerator.CountFor(encoder.NumPatches, maskRatio);
        int visible = encoder.NumPatches - masked;
        text.AppendLine(culture, $"{Name(config)}: {encoder.Flavour} blocks, {encoder.ImageSize}×{encoder.ImageSize}×{encoder.InChannels} input, patch {encoder.PatchSize}");
        text.AppendLine(culture, $"  tokens: {encoder.NumProxies} proxies + {encoder.NumPatches} patches ({encoder.GridSize}×{encoder.GridSize} grid); mask ratio {maskRatio} → {masked} masked, {visible} visible");
        text.AppendLine(culture, $"  width {encoder.EmbedDim}, depth {encoder.Depth}, {encoder.NumHeads} heads of {encoder.HeadDim}, MLP {encoder.MlpDim}, drop path {encoder.DropPathRate}");
        if (model.Backbone is ProxyEncoder)
        {
            text.AppendLine(culture, $"  compression: self-attention over (B, {encoder.NumProxies + visible}, {encoder.EmbedDim}) = [proxies; visible patches]");
            text.AppendLine(culture, $"  reconstruction: mask tokens Q (B, {masked}, {encoder.EmbedDim}) attend to KV (B, {encoder.NumProxies + masked}, {encoder.EmbedDim}) = [proxies; mask tokens]");
        }
        else
        {
            text.AppendLine(culture, $"  joint self-attention over (B, {encoder.NumProxies + encoder.NumPatches}, {encoder.EmbedDim}) = [cls; visible patches; mask tokens]");
        }
        text.AppendLine(culture, $"  head: {(config.Target == TargetKind.TokenIds ? $"token ids, vocabulary {config.VocabSize}, cross-entropy" : $"HOG features, {config.HeadOutputDim} per patch, MSE")}");
        text.AppendLine();
        var rows = new List<(string Name, long Count)>();
        foreach (var (name, child) in model.named_children())
        {
            rows.AddRange(child.named_children().Select(c => ($"{name}.{c.name}", CountParameters(c.module))));
            rows.AddRange(child.named_parameters(recurse: false).Select(p => ($"{name}.{p.name}", p.parameter.numel())));
        }
        text.AppendLine(culture, $"  {"component",-36} {"parameters",14}");
        foreach (var (name, count) in rows.Where(r => r.Count > 0).OrderBy(r => Rank(r.Name)))
        {
            text.AppendLine(culture, $"  {name,-36} {count,14:N0}");
        }
        text.AppendLine(culture, $"  {"total",-36} {CountParameters(model),14:N0}");
        text.AppendLine(culture, $"  {"kept after pretraining",-36} {CountEncoderParameters(model),14:N0}");
        return text.ToString();
    }

    // Input to output: embedding, the kept encoder, the reconstruction stack, what only pretraining needs.
    private static int Rank(string name)
    {
        string[] order = ["patch_embed", "cls_token", "pos_embed", "layers", "extra_layers", "mask_token", "ln1", "head"];
        int index = Array.FindIndex(order, o => name.EndsWith("." + o, StringComparison.Ordinal) || name.StartsWith(o + ".", StringComparison.Ordinal));
        return index < 0 ? order.Length : index;
    }

    private static string Name(MimModelConfig config) =>
        (config.Method, config.Target) switch
        {
            (MimMethod.SemanticMim, TargetKind.TokenIds) => "BEiT + SemanticMIM",
            (MimMethod.SemanticMim, TargetKind.Hog) => "MaskFeat + SemanticMIM",
            (MimMethod.Baseline, TargetKind.TokenIds) => "BEiT",
            _ => "MaskFeat",
        };
}
