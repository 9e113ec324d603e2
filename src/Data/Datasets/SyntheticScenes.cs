using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Datasets;

/// <summary>
/// A seeded segmentation set for CPU runs: RGB scenes of circles, squares, triangles and rings with random colour,
/// size, position and rotation on noisy gradient backgrounds, with a per-pixel label map (0 background, 1..4 the
/// shape classes; a later shape covers an earlier one). Sample i depends only on (seed, split, i).
/// </summary>
public sealed class SyntheticScenes : IDatasetReader
{
    public static readonly IReadOnlyList<string> ClassNames = ["background", "circle", "square", "triangle", "ring"];

    public SyntheticScenes(int seed, int count, string split = "train", int width = 64, int height = 64, int minShapes = 2, int maxShapes = 5)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 8);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 8);
        ArgumentOutOfRangeException.ThrowIfNegative(minShapes);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShapes, minShapes);
        ArgumentException.ThrowIfNullOrWhiteSpace(split);
        Seed = seed;
        Count = count;
        Split = split;
        Width = width;
        Height = height;
        MinShapes = minShapes;
        MaxShapes = maxShapes;
    }

    public int Seed { get; }
    public int Count { get; }
    public int Width { get; }
    public int Height { get; }
    public int MinShapes { get; }
    public int MaxShapes { get; }

    public string DatasetName => "synthetic-scenes";
    public string Split { get; }
    public int ClassCount => ClassNames.Count;
    public IReadOnlyList<SkippedSource> Skipped => [];

    public int SourceCount => Count;

    public IEnumerable<DatasetSample> Read() => Read(0, SourceCount);

    public IEnumerable<DatasetSample> Read(int start, int count)
    {
        var (first, end) = SourceRange.Clamp(start, count, Count);
        for (var index = first; index < end; index++)
            yield return Generate(index);
    }

    public DatasetSample Generate(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var random = new Random(SampleSeed(index));
        var image = Background(random);
        var labels = new LabelMap(Width, Height, new byte[Width * Height]);
        var shapeCount = random.Next(MinShapes, MaxShapes + 1);
        for (var s = 0; s < shapeCount; s++)
            DrawShape(random, image, labels);
        return new DatasetSample($"synthetic_{Split}_{index:D6}", image, Segmentation: labels);
    }

    private ImageBuffer Background(Random random)
    {
        var image = ImageBuffer.Blank(Width, Height, 3);
        var from = RandomColor(random);
        var to = RandomColor(random);
        var angle = random.NextDouble() * 2 * Math.PI;
        var (dx, dy) = (Math.Cos(angle), Math.Sin(angle));
        var noise = random.Next(8, 40);
        for (var y = 0; y < Height; y++)
            for (var x = 0; x < Width; x++)
            {
                var t = Math.Clamp(0.5 + ((x + 0.5) / Width - 0.5) * dx + ((y + 0.5) / Height - 0.5) * dy, 0, 1);
                for (var c = 0; c < 3; c++)
                    image[x, y, c] = Noisy(from[c] + (to[c] - from[c]) * t, random, noise);
            }
        return image;
    }

    private void DrawShape(Random random, ImageBuffer image, LabelMap labels)
    {
        var classId = (byte)random.Next(1, ClassNames.Count);
        var side = Math.Min(Width, Height);
        var radius = side / 8.0 + random.NextDouble() * (side / 3.0 - side / 8.0);
        var (cx, cy) = (random.NextDouble() * Width, random.NextDouble() * Height);
        var rotation = random.NextDouble() * 2 * Math.PI;
        var color = RandomColor(random);
        var noise = random.Next(0, 16);
        for (var y = 0; y < Height; y++)
            for (var x = 0; x < Width; x++)
            {
                var (px, py) = (x + 0.5 - cx, y + 0.5 - cy);
                var u = px * Math.Cos(rotation) + py * Math.Sin(rotation);
                var v = -px * Math.Sin(rotation) + py * Math.Cos(rotation);
                if (!Contains(classId, u / radius, v / radius))
                    continue;
                labels[x, y] = classId;
                for (var c = 0; c < 3; c++)
                    image[x, y, c] = Noisy(color[c], random, noise);
            }
    }

    /// <summary>Whether the point (u, v), in units of the shape's radius and in its rotated frame, lies inside.</summary>
    private static bool Contains(byte classId, double u, double v)
    {
        var distance = Math.Sqrt(u * u + v * v);
        return ClassNames[classId] switch
        {
            "circle" => distance <= 1,
            "square" => Math.Abs(u) <= 0.8 && Math.Abs(v) <= 0.8,
            // Equilateral triangle with circumradius 1 pointing along -v: inside its three edges' half-planes.
            "triangle" => v <= 0.5 && v * 0.5 - u * Math.Sqrt(3) / 2 >= -0.5 && v * 0.5 + u * Math.Sqrt(3) / 2 >= -0.5,
            "ring" => distance is >= 0.55 and <= 1,
            _ => false,
        };
    }

    private static int[] RandomColor(Random random) => [random.Next(256), random.Next(256), random.Next(256)];

    private static byte Noisy(double value, Random random, int amplitude) =>
        (byte)Math.Clamp((int)Math.Round(value) + random.Next(-amplitude, amplitude + 1), 0, 255);

    private int SampleSeed(int index)
    {
        // FNV-1a over (seed, split, index): a stable mix that does not depend on string.GetHashCode's per-process salt.
        var hash = 2166136261u;
        void Mix(int value)
        {
            for (var shift = 0; shift < 32; shift += 8)
                hash = (hash ^ (uint)((value >> shift) & 0xFF)) * 16777619u;
        }
        Mix(Seed);
        foreach (var ch in Split)
            Mix(ch);
        Mix(index);
        return (int)(hash & 0x7FFFFFFF);
    }
}
