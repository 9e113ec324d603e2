using SemanticMIM.Data.Imaging;
using static TorchSharp.torch;

namespace SemanticMIM.Data.Tensors;

/// <summary>Stacks decoded images and labels into the tensors models take.</summary>
public static class BatchTensors
{
    /// <summary>The ImageNet channel statistics most pretrained ViTs expect.</summary>
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>
    /// Images of one size and channel count → float32 (B, C, H, W) in [0, 1], then (x - mean[c]) / std[c] when
    /// <paramref name="mean"/> and <paramref name="std"/> are given (one value per channel).
    /// </summary>
    public static Tensor Images(IReadOnlyList<ImageBuffer> images, float[]? mean = null, float[]? std = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
            throw new ArgumentException("A batch needs at least one image.", nameof(images));
        var (width, height, channels) = (images[0].Width, images[0].Height, images[0].Channels);
        if (images.Any(i => i.Width != width || i.Height != height || i.Channels != channels))
            throw new ArgumentException($"All images of a batch must be {width}x{height}x{channels}.", nameof(images));
        if ((mean is null) != (std is null))
            throw new ArgumentException("Give both mean and std, or neither.");
        if (mean is not null && (mean.Length != channels || std!.Length != channels))
            throw new ArgumentException($"mean and std need {channels} values, one per channel.");
        if (std is not null && std.Any(s => s <= 0))
            throw new ArgumentException("std values must be positive.", nameof(std));

        var imageSize = width * height * channels;
        var bytes = new byte[images.Count * imageSize];
        for (var i = 0; i < images.Count; i++)
            images[i].Pixels.CopyTo(bytes, i * imageSize);

        using var scope = NewDisposeScope();
        var x = tensor(bytes, [images.Count, height, width, channels], ScalarType.Byte, device)
            .permute(0, 3, 1, 2)
            .to_type(ScalarType.Float32)
            .div(255f);
        if (mean is not null)
        {
            var meanTensor = tensor(mean, [1, channels, 1, 1], device: device);
            var stdTensor = tensor(std!, [1, channels, 1, 1], device: device);
            x = x.sub(meanTensor).div(stdTensor);
        }
        return x.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Label maps of one size → int64 (B, H, W), ignore values (255) kept as they are.</summary>
    public static Tensor LabelMaps(IReadOnlyList<LabelMap> maps, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(maps);
        if (maps.Count == 0)
            throw new ArgumentException("A batch needs at least one label map.", nameof(maps));
        var (width, height) = (maps[0].Width, maps[0].Height);
        if (maps.Any(m => m.Width != width || m.Height != height))
            throw new ArgumentException($"All label maps of a batch must be {width}x{height}.", nameof(maps));
        var labels = new long[maps.Count * width * height];
        for (var i = 0; i < maps.Count; i++)
        {
            var source = maps[i].Labels;
            var offset = i * width * height;
            for (var p = 0; p < source.Length; p++)
                labels[offset + p] = source[p];
        }
        return tensor(labels, [maps.Count, height, width], device: device);
    }

    /// <summary>Class indices → int64 (B).</summary>
    public static Tensor ClassIndices(IReadOnlyList<int> classIndices, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(classIndices);
        return tensor(classIndices.Select(c => (long)c).ToArray(), [classIndices.Count], device: device);
    }
}
