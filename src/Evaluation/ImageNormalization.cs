using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>
/// Per-channel normalisation of [0, 1] images after augmentation, (x − mean) / std, for one image (C, H, W) or a
/// batch (B, C, H, W): the one normalisation every protocol uses (spec pitfall 7).
/// </summary>
public static class ImageNormalization
{
    public static Tensor Normalize(Tensor images, IReadOnlyList<double> mean, IReadOnlyList<double> std)
    {
        long channels = images.shape[^3];
        if (mean.Count != channels || std.Count != channels)
        {
            throw new ArgumentException($"mean and std need {channels} values, one per channel (got {mean.Count} and {std.Count})");
        }
        using var meanColumn = tensor(mean.ToArray(), images.dtype, images.device).reshape(channels, 1, 1);
        using var stdColumn = tensor(std.ToArray(), images.dtype, images.device).reshape(channels, 1, 1);
        using var centred = images.sub(meanColumn);
        return centred.div(stdColumn);
    }

    public static Tensor Normalize(Tensor images, IReadOnlyList<float> mean, IReadOnlyList<float> std) =>
        Normalize(images, mean.Select(m => (double)m).ToArray(), std.Select(s => (double)s).ToArray());
}
