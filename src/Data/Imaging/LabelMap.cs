namespace SemanticMIM.Data.Imaging;

/// <summary>One byte per pixel, row-major: segmentation class ids or palette indices.</summary>
public sealed class LabelMap
{
    public const byte Ignore = 255;

    public LabelMap(int width, int height, byte[] labels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != width * height)
            throw new ArgumentException($"Expected {width * height} labels for {width}x{height}, got {labels.Length}.", nameof(labels));
        Width = width;
        Height = height;
        Labels = labels;
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Labels { get; }

    public byte this[int x, int y]
    {
        get => Labels[y * Width + x];
        set => Labels[y * Width + x] = value;
    }

    /// <summary>Nearest-neighbour resize (pixel centres at half-integers), the only resize that keeps labels valid.</summary>
    public LabelMap ResizeNearest(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var labels = new byte[width * height];
        for (var y = 0; y < height; y++)
        {
            var sourceY = Math.Min(Height - 1, (int)((y + 0.5) * Height / height));
            for (var x = 0; x < width; x++)
            {
                var sourceX = Math.Min(Width - 1, (int)((x + 0.5) * Width / width));
                labels[y * width + x] = Labels[sourceY * Width + sourceX];
            }
        }
        return new LabelMap(width, height, labels);
    }
}
