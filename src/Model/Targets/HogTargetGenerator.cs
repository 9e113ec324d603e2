using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Targets;

/// <summary>
/// Histogram-of-oriented-gradients targets of MaskFeat, as MMPreTrain's HOGGenerator computes them, with the
/// patch grid generalised: Sobel gradients on the reflect-padded image per channel, 9 unsigned orientation
/// bins with hard assignment (bin = floor(atan2(gx, gy)·nbins/π) mod nbins), magnitude weighted by a Gaussian
/// window tiled per patch, sum-pooled cells, L2 normalisation over the bins of each cell and channel, and
/// the cells of each patch flattened as ((c·nbins + bin)·u + dy)·u + dx. Works on whole batches on the
/// tensor's device.
/// </summary>
public sealed class HogTargetGenerator
{
    private readonly HogConfig _config;

    public HogTargetGenerator(HogConfig config)
    {
        var problems = config.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid HOG configuration: " + string.Join("; ", problems), nameof(config));
        }
        _config = config;
    }

    public HogConfig Config => _config;

    /// <summary>HOG features of every patch: (B, C, H, W) → (B, N, C·nbins·u²), patches row-major.</summary>
    public Tensor Compute(Tensor images)
    {
        if (images.dim() != 4)
        {
            throw new ArgumentException($"images must be (B, C, H, W), got [{string.Join(", ", images.shape)}]", nameof(images));
        }
        long batch = images.shape[0], channels = images.shape[1], height = images.shape[2], width = images.shape[3];
        int patch = _config.PatchSize, cell = _config.CellSize, window = _config.GaussianWindow;
        if (height % patch != 0 || width % patch != 0 || (window > 0 && (height % window != 0 || width % window != 0)))
        {
            throw new ArgumentException(
                $"image size {height}×{width} must be a multiple of the patch ({patch}) and of the Gaussian window ({window})",
                nameof(images));
        }

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = images.to(ScalarType.Float32);
        var (gx, gy) = Gradients(x, channels);
        var magnitude = torch.sqrt(gx.square() + gy.square());
        var phase = torch.atan2(gx, gy).div_(Math.PI).mul_(_config.NumBins);
        var bins = phase.floor_().remainder_(_config.NumBins).to(ScalarType.Int64);
        if (window > 0)
        {
            magnitude = magnitude * GaussianKernel(window, x.device).repeat(height / window, width / window);
        }

        var histogram = torch.zeros([batch, channels, _config.NumBins, height, width], ScalarType.Float32, x.device);
        histogram.scatter_add_(2, bins.unsqueeze(2), magnitude.unsqueeze(2));

        long cellsY = height / cell, cellsX = width / cell;
        var cells = histogram.view(batch, channels, _config.NumBins, cellsY, cell, cellsX, cell).sum([4, 6]);
        var normalized = nn.functional.normalize(cells, p: 2, dim: 2, eps: 1e-12);

        int u = _config.CellsPerPatch;
        long gridY = height / patch, gridX = width / patch;
        long perCell = channels * _config.NumBins;
        var perPatch = normalized.reshape(batch, perCell, gridY, u, gridX, u)
            .permute(0, 2, 4, 1, 3, 5)
            .reshape(batch, gridY * gridX, perCell * u * u);
        return perPatch.contiguous().MoveToOuterDisposeScope();
    }

    // Depthwise 3×3 cross-correlation with Kx = [[1,0,-1],[2,0,-2],[1,0,-1]] and Ky = Kxᵀ on the reflect-padded image.
    private static (Tensor Gx, Tensor Gy) Gradients(Tensor x, long channels)
    {
        var kx = torch.tensor(new float[] { 1, 0, -1, 2, 0, -2, 1, 0, -1 }, device: x.device).view(1, 1, 3, 3);
        var ky = kx.transpose(2, 3);
        var padded = nn.functional.pad(x, [1, 1, 1, 1], PaddingModes.Reflect);
        var gx = nn.functional.conv2d(padded, kx.expand(channels, 1, 3, 3).contiguous(), groups: channels);
        var gy = nn.functional.conv2d(padded, ky.expand(channels, 1, 3, 3).contiguous(), groups: channels);
        return (gx, gy);
    }

    // w[n] = exp(-½((n - (G-1)/2) / σ)²) with σ = G div 2, outer product normalised to sum 1.
    private static Tensor GaussianKernel(int window, Device device)
    {
        double center = (window - 1) / 2.0;
        double sigma = window / 2;
        var weights = Enumerable.Range(0, window)
            .Select(n => (float)Math.Exp(-0.5 * Math.Pow((n - center) / sigma, 2)))
            .ToArray();
        var w = torch.tensor(weights, device: device);
        var kernel = w.outer(w);
        return kernel / kernel.sum();
    }
}
