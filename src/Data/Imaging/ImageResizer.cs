using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SemanticMIM.Data.Imaging;

/// <summary>
/// Separable resampling with pixel centres at half-integers. When shrinking, the kernel is widened by the scale
/// factor (as PIL does) so downscaled images are antialiased rather than aliased.
/// </summary>
public static class ImageResizer
{
    public static ImageBuffer Resize(ImageBuffer image, int width, int height, ResizeFilter filter = ResizeFilter.Bilinear)
    {
        ArgumentNullException.ThrowIfNull(image);
        return ResizeRegion(image, 0, 0, image.Width, image.Height, mirror: false, width, height, filter);
    }

    /// <summary>
    /// Resizes the box (<paramref name="left"/>, <paramref name="top"/>, <paramref name="regionWidth"/> × <paramref name="regionHeight"/>)
    /// of the image, mirrored left to right if asked, exactly as if that box had been copied out first, without the copy.
    /// </summary>
    internal static ImageBuffer ResizeRegion(ImageBuffer image, int left, int top, int regionWidth, int regionHeight, bool mirror,
        int width, int height, ResizeFilter filter)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var channels = image.Channels;
        int sourceRowLength = regionWidth * channels;
        ReadOnlySpan<byte> SourceRow(int y) => image.Pixels.AsSpan(((top + y) * image.Width + left) * channels, sourceRowLength);
        if (width == regionWidth && height == regionHeight)
        {
            var copy = new byte[height * sourceRowLength];
            for (var y = 0; y < height; y++)
                CopyRow(SourceRow(y), copy.AsSpan(y * sourceRowLength, sourceRowLength), channels, mirror);
            return new ImageBuffer(width, height, channels, copy);
        }

        var horizontal = ResamplingWeights.Compute(regionWidth, width, filter);
        var vertical = ResamplingWeights.Compute(regionHeight, height, filter);

        // Each output value is sum += weight[k] · input[k] for k ascending from 0, in float, in both passes; the loops are
        // arranged for speed (a float copy of each source row, the channels of a pixel summed side by side, vectors in
        // the vertical pass, a pooled intermediate image) without changing that order.
        int rowLength = width * channels;
        var rows = ArrayPool<float>.Shared.Rent(regionHeight * rowLength);
        try
        {
            var sourceValues = new float[sourceRowLength];
            for (var y = 0; y < regionHeight; y++)
            {
                ToFloats(SourceRow(y), sourceValues, channels, mirror);
                var targetRow = rows.AsSpan(y * rowLength, rowLength);
                if (channels == 3)
                    ResampleRgbRow(sourceValues, targetRow, horizontal);
                else
                    ResampleRow(sourceValues, targetRow, horizontal, channels);
            }

            var output = new byte[height * rowLength];
            var sums = new float[rowLength];
            for (var y = 0; y < height; y++)
            {
                var (first, weights) = vertical[y];
                Array.Clear(sums);
                for (var k = 0; k < weights.Length; k++)
                    AddScaled(sums, rows.AsSpan((first + k) * rowLength, rowLength), weights[k]);
                ToBytes(sums, output.AsSpan(y * rowLength, rowLength));
            }
            return new ImageBuffer(width, height, channels, output);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rows);
        }
    }

    private static void CopyRow(ReadOnlySpan<byte> source, Span<byte> target, int channels, bool mirror)
    {
        if (!mirror)
        {
            source.CopyTo(target);
            return;
        }
        for (int x = 0, from = source.Length - channels; from >= 0; x += channels, from -= channels)
            source.Slice(from, channels).CopyTo(target.Slice(x, channels));
    }

    // One row of the horizontal pass for interleaved RGB: three running sums per output pixel, each in tap order.
    private static void ResampleRgbRow(float[] source, Span<float> target, (int First, float[] Weights)[] taps)
    {
        // Unchecked reads: the weights of every output cover input indices within [0, width), as ResamplingWeights builds them.
        ref var values = ref MemoryMarshal.GetArrayDataReference(source);
        for (var x = 0; x < taps.Length; x++)
        {
            var (first, weights) = taps[x];
            ref var pixel = ref Unsafe.Add(ref values, first * 3);
            float red = 0f, green = 0f, blue = 0f;
            for (var k = 0; k < weights.Length; k++)
            {
                var weight = weights[k];
                red += weight * Unsafe.Add(ref pixel, 3 * k);
                green += weight * Unsafe.Add(ref pixel, 3 * k + 1);
                blue += weight * Unsafe.Add(ref pixel, 3 * k + 2);
            }
            target[3 * x] = red;
            target[3 * x + 1] = green;
            target[3 * x + 2] = blue;
        }
    }

    private static void ResampleRow(float[] source, Span<float> target, (int First, float[] Weights)[] taps, int channels)
    {
        for (var x = 0; x < taps.Length; x++)
        {
            var (first, weights) = taps[x];
            for (var c = 0; c < channels; c++)
            {
                var sum = 0f;
                for (int k = 0, at = first * channels + c; k < weights.Length; k++, at += channels)
                    sum += weights[k] * source[at];
                target[x * channels + c] = sum;
            }
        }
    }

    // The row as floats, its pixels in reverse order when mirrored.
    private static void ToFloats(ReadOnlySpan<byte> bytes, Span<float> values, int channels, bool mirror)
    {
        if (mirror)
        {
            for (int x = 0, from = bytes.Length - channels; from >= 0; x += channels, from -= channels)
                for (var c = 0; c < channels; c++)
                    values[x + c] = bytes[from + c];
            return;
        }
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= bytes.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                Vector.Widen(new Vector<byte>(bytes[i..]), out var low, out var high);
                Vector.Widen(low, out var first, out var second);
                Vector.Widen(high, out var third, out var fourth);
                int at = i;
                foreach (var quarter in (ReadOnlySpan<Vector<uint>>)[first, second, third, fourth])
                {
                    Vector.ConvertToSingle(quarter).CopyTo(values[at..]);
                    at += Vector<uint>.Count;
                }
            }
        }
        for (; i < bytes.Length; i++)
            values[i] = bytes[i];
    }

    private static Vector<int> Quarter(ReadOnlySpan<float> sums, int at) =>
        Vector.ConvertToInt32(Vector.Min(Vector.Max(Vector.Round(new Vector<float>(sums[at..])), Vector<float>.Zero), new Vector<float>(255f)));

    // Each value rounded half to even (as MathF.Round) and clamped to [0, 255].
    private static void ToBytes(ReadOnlySpan<float> sums, Span<byte> target)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= sums.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                var low = Vector.AsVectorUInt16(Vector.Narrow(Quarter(sums, i), Quarter(sums, i + Vector<int>.Count)));
                var high = Vector.AsVectorUInt16(Vector.Narrow(Quarter(sums, i + 2 * Vector<int>.Count), Quarter(sums, i + 3 * Vector<int>.Count)));
                Vector.Narrow(low, high).CopyTo(target[i..]);
            }
        }
        for (; i < sums.Length; i++)
            target[i] = (byte)Math.Clamp(MathF.Round(sums[i]), 0f, 255f);
    }

    // sums[i] += weight · row[i]: a multiply then an add, as the scalar loop does (no fused multiply-add).
    private static void AddScaled(Span<float> sums, ReadOnlySpan<float> row, float weight)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var scale = new Vector<float>(weight);
            for (; i <= row.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var sum = new Vector<float>(sums[i..]);
                (sum + scale * new Vector<float>(row[i..])).CopyTo(sums[i..]);
            }
        }
        for (; i < row.Length; i++)
            sums[i] += weight * row[i];
    }

    /// <summary>Scales down, keeping the aspect ratio, so that the shorter side is at most <paramref name="maxShorterSide"/>.</summary>
    public static ImageBuffer LimitShorterSide(ImageBuffer image, int maxShorterSide, ResizeFilter filter = ResizeFilter.Bicubic)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (width, height) = BoundedSize(image.Width, image.Height, maxShorterSide);
        return width == image.Width && height == image.Height ? image : Resize(image, width, height, filter);
    }

    public static (int Width, int Height) BoundedSize(int width, int height, int maxShorterSide)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShorterSide);
        var shorter = Math.Min(width, height);
        if (shorter <= maxShorterSide)
            return (width, height);
        var scale = (double)maxShorterSide / shorter;
        return width <= height
            ? (maxShorterSide, Math.Max(1, (int)Math.Round(height * scale)))
            : (Math.Max(1, (int)Math.Round(width * scale)), maxShorterSide);
    }
}
