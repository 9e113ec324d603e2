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
        if (device is not null && device.type != TorchSharp.DeviceType.CPU)
        {
            using var onCpu = Images(images, mean, std);
            return onCpu.to(device);
        }

        var imageSize = width * height * channels;
        var values = new float[images.Count * imageSize];
        Parallel.For(0, images.Count, i => WritePlanes(images[i], mean, std, values.AsSpan(i * imageSize, imageSize)));
        return tensor(values, [images.Count, channels, height, width]);
    }

    /// <summary>
    /// One image as float (C, H, W) in one pass: value / 255, then (x - mean[c]) / std[c] when both are given, in that
    /// order of float operations. A batch's images can be written from several threads, each into its own slice.
    /// </summary>
    public static void WritePlanes(ImageBuffer image, float[]? mean, float[]? std, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        int channels = image.Channels, plane = image.Width * image.Height;
        if (destination.Length != plane * channels)
            throw new ArgumentException($"the destination holds {destination.Length} values, the image {plane * channels}", nameof(destination));
        // Every byte value's result per channel, computed once: the per-pixel work is a lookup.
        var table = new float[channels * 256];
        for (var c = 0; c < channels; c++)
        {
            for (var v = 0; v < 256; v++)
            {
                var x = v / 255f;
                table[c * 256 + v] = mean is null ? x : (x - mean[c]) / std![c];
            }
        }
        var pixels = image.Pixels;
        for (var c = 0; c < channels; c++)
        {
            var target = destination.Slice(c * plane, plane);
            var lookup = table.AsSpan(c * 256, 256);
            for (int p = 0, source = c; p < plane; p++, source += channels)
                target[p] = lookup[pixels[source]];
        }
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
