using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Segmentation;

/// <summary>A window of a sliding-window pass: its top-left corner and size in pixels.</summary>
public readonly record struct WindowPosition(int Top, int Left, int Height, int Width);

/// <summary>
/// mmseg's <c>slide_inference</c>: windows of the crop size every stride pixels, the last one moved back to end at
/// the border, a single window of the image's size along a side shorter than the crop. Overlapping windows' logits
/// are summed and divided by how many windows cover each pixel.
/// </summary>
public static class SlidingWindow
{
    /// <summary>Window starts along a side of <paramref name="size"/> pixels.</summary>
    public static IReadOnlyList<int> Starts(int size, int crop, int stride)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(crop, 1);
        if (stride < 1 || stride > crop)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"stride must lie in [1, {crop}] to cover every pixel");
        }
        int windows = Math.Max(size - crop + stride - 1, 0) / stride + 1;
        var starts = new int[windows];
        for (int i = 0; i < windows; i++)
        {
            int end = Math.Min(i * stride + crop, size);
            starts[i] = Math.Max(end - crop, 0);
        }
        return starts;
    }

    /// <summary>Every window of an image, row by row.</summary>
    public static IReadOnlyList<WindowPosition> Positions(int height, int width, int crop, int stride)
    {
        int windowHeight = Math.Min(crop, height);
        int windowWidth = Math.Min(crop, width);
        return Starts(height, crop, stride)
            .SelectMany(top => Starts(width, crop, stride).Select(left => new WindowPosition(top, left, windowHeight, windowWidth)))
            .ToArray();
    }

    /// <summary>
    /// Logits (B, K, H, W) of images (B, C, H, W): <paramref name="windowLogits"/> maps each window (B, C, h, w)
    /// to (B, K, h, w); overlaps are averaged.
    /// </summary>
    public static Tensor Infer(Tensor images, int crop, int stride, Func<Tensor, Tensor> windowLogits)
    {
        if (images.dim() != 4)
        {
            throw new ArgumentException($"images must be (B, C, H, W), got [{string.Join(", ", images.shape)}]", nameof(images));
        }
        using var scope = torch.NewDisposeScope();
        int height = (int)images.shape[2];
        int width = (int)images.shape[3];
        Tensor? sums = null;
        var counts = torch.zeros([1, 1, height, width], images.dtype, images.device);
        foreach (var window in Positions(height, width, crop, stride))
        {
            var logits = windowLogits(images.narrow(2, window.Top, window.Height).narrow(3, window.Left, window.Width));
            sums ??= torch.zeros([images.shape[0], logits.shape[1], height, width], logits.dtype, logits.device);
            sums.narrow(2, window.Top, window.Height).narrow(3, window.Left, window.Width).add_(logits);
            counts.narrow(2, window.Top, window.Height).narrow(3, window.Left, window.Width).add_(1);
        }
        return sums!.div(counts).MoveToOuterDisposeScope();
    }
}
