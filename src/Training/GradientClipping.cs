using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Training;

/// <summary>Global L2-norm gradient clipping, as torch.nn.utils.clip_grad_norm_ with norm_type 2.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales every gradient by min(1, maxNorm / (norm + 1e-6)) and returns the global norm before clipping;
    /// <paramref name="maxNorm"/> 0 only measures. Parameters without a gradient are skipped.
    /// </summary>
    public static double ClipGlobalNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxNorm);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var gradients = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        if (gradients.Count == 0)
        {
            return 0;
        }
        double norm = stack(gradients.Select(g => g.norm())).norm().ToDouble();
        double coefficient = maxNorm / (norm + 1e-6);
        if (maxNorm > 0 && coefficient < 1)
        {
            foreach (var gradient in gradients)
            {
                gradient.mul_(coefficient);
            }
        }
        return norm;
    }
}
