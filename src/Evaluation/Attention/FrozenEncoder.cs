using SemanticMIM.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Attention;

/// <summary>
/// Runs an encoder in eval mode without gradients (spec (g): eval mode, full unmasked image) and restores its
/// training mode afterwards.
/// </summary>
internal static class FrozenEncoder
{
    public static void Run(VisionTransformer encoder, Action work)
    {
        using var evalMode = new EvalMode(encoder);
        using var noGrad = torch.no_grad();
        work();
    }

    public static T Run<T>(VisionTransformer encoder, Func<T> work)
    {
        T result = default!;
        Run(encoder, () => { result = work(); });
        return result;
    }

    /// <summary>
    /// One pass of <paramref name="encoder"/> over <paramref name="images"/>, handing each block's attention
    /// probabilities (B, heads, P + N, P + N) and its 0-based index to <paramref name="visit"/>; each block's
    /// attention is disposed once visited, so only one is alive at a time.
    /// </summary>
    public static void VisitLayers(VisionTransformer encoder, Tensor images, Action<int, Tensor> visit) =>
        Run(encoder, () =>
        {
            using var scope = torch.NewDisposeScope();
            var (proxies, patches) = encoder.EmbedTokens(images.to(Device(encoder)));
            var tokens = torch.cat([proxies, patches], 1);
            for (int i = 0; i < encoder.Layers.Count; i++)
            {
                var block = encoder.Layers[i];
                using (var attention = block.AttentionProbabilities(tokens, tokens))
                {
                    visit(i, attention);
                }
                tokens = block.forward(tokens, tokens);
            }
        });

    public static Device Device(VisionTransformer encoder) => encoder.parameters().First().device;
}
