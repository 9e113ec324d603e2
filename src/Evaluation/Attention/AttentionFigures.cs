using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Attention;

/// <summary>
/// The attention figures as PNG. Panels are square, <see cref="PanelScale"/> times the image side (nearest
/// neighbour, so patches stay sharp), each under a label strip of <see cref="LabelHeight"/> pixels, with
/// <see cref="Gap"/> pixels around and between them. Maps are coloured with <see cref="Viridis"/>.
/// </summary>
public static class AttentionFigures
{
    public const int Gap = 4;
    public const int LabelHeight = 16;

    /// <summary>Small inputs (28 px) are enlarged until a panel is at least this many pixels wide.</summary>
    public const int MinPanelSide = 128;

    /// <summary>Weight of the map's colour over the image in the overlays.</summary>
    public const double OverlayOpacity = 0.6;

    /// <summary>Proxy panels per row of the averaged-map grid.</summary>
    public const int GridColumns = 4;

    /// <summary>The whole-number enlargement that makes a panel of an image side <paramref name="side"/> at least <see cref="MinPanelSide"/> wide.</summary>
    public static int PanelScale(int side) => Math.Max(1, (MinPanelSide + side - 1) / side);

    /// <summary>
    /// One image with its maps (paper Fig. 1/9 style): the image, then one overlay per proxy, then one per query
    /// patch with the query outlined in red, in one row. <paramref name="image"/> is (C, H, W) with values in [0, 1]
    /// at the size the maps cover; <paramref name="index"/> picks the image in <paramref name="maps"/>. Each
    /// overlay is scaled to its own minimum and maximum.
    /// </summary>
    public static void WriteImageMaps(string path, Tensor image, ProxyAttentionMaps maps, int index)
    {
        using var scope = torch.NewDisposeScope();
        int side = maps.GridSize * maps.PatchSize;
        if (image.dim() != 3 || image.shape[1] != side || image.shape[2] != side)
        {
            throw new ArgumentException($"expected an image (C, {side}, {side}) for the maps, got [{string.Join(", ", image.shape)}]", nameof(image));
        }
        var pixels = ImagePixels(image);
        var proxies = PixelMaps(maps.Proxies[index], maps.PatchSize);
        var queries = PixelMaps(maps.Queries[index], maps.PatchSize);
        int scale = PanelScale(side);
        var panels = new List<(string Label, byte[] Rgba)> { ("image", ToRgba(pixels, side)) };
        panels.AddRange(proxies.Select((map, p) => ($"proxy {p + 1}", Overlay(pixels, map, side))));
        panels.AddRange(queries.Select((map, q) => (QueryLabel(maps.QueryPatches[q], maps.GridSize), Overlay(pixels, map, side))));
        Draw(path, panels, side, scale, columns: panels.Count, (canvas, cell, left, top) =>
        {
            int query = cell - 1 - proxies.Length;
            if (query >= 0)
            {
                int patch = maps.QueryPatches[query];
                int extent = maps.PatchSize * scale;
                using var outline = new SKPaint { Color = SKColors.Red, Style = SKPaintStyle.Stroke, StrokeWidth = 2 };
                canvas.DrawRect(left + patch % maps.GridSize * extent, top + patch / maps.GridSize * extent, extent, extent, outline);
            }
        });
    }

    /// <summary>
    /// Each proxy's map averaged over images (paper Fig. 9), <see cref="GridColumns"/> per row, at the pixels of a
    /// <paramref name="patchSize"/> patch. All panels share one colour range so their strengths compare.
    /// </summary>
    public static void WriteProxyAverageGrid(string path, Tensor meanMaps, int patchSize)
    {
        if (meanMaps.dim() != 3 || meanMaps.shape[1] != meanMaps.shape[2])
        {
            throw new ArgumentException($"expected mean proxy maps (P, g, g), got [{string.Join(", ", meanMaps.shape)}]", nameof(meanMaps));
        }
        using var scope = torch.NewDisposeScope();
        int side = (int)meanMaps.shape[1] * patchSize;
        var maps = PixelMaps(meanMaps, patchSize);
        double low = maps.Min(m => m.Min()), high = maps.Max(m => m.Max());
        var panels = maps.Select((map, p) => ($"proxy {p + 1}", Colour(map, low, high))).ToList();
        Draw(path, panels, side, PanelScale(side), Math.Min(GridColumns, panels.Count), decorate: null);
    }

    /// <summary>
    /// Mean attention distance per head against depth (paper Fig. 14): x = layer (1-based), y = pixels, one point
    /// per head and one series per encoder, named in the legend.
    /// </summary>
    public static void WriteDistanceScatter(string path, IReadOnlyList<(string Name, double[][] Distances)> encoders)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (name, distances) in encoders)
        {
            var points = distances.SelectMany((heads, layer) => heads.Select(d => (X: layer + 1.0, Y: d))).ToList();
            var series = plot.Add.ScatterPoints(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
            series.LegendText = name;
            series.MarkerSize = 8;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1);
        plot.Title("Mean attention distance per head (patch-to-patch attention, not renormalised)");
        plot.XLabel("layer");
        plot.YLabel("mean attention distance (pixels)");
        plot.ShowLegend();
        plot.SavePng(path, 800, 450);
    }

    private static string QueryLabel(int patch, int gridSize) => $"query ({patch / gridSize}, {patch % gridSize})";

    /// <summary>(C, H, W) in [0, 1] → H·W·3 bytes, a single channel repeated.</summary>
    private static byte[] ImagePixels(Tensor image)
    {
        int channels = (int)image.shape[0];
        var hwc = image.to(ScalarType.Float32).cpu().clamp(0, 1).mul(255).round().permute(1, 2, 0).contiguous();
        var values = hwc.data<float>().ToArray();
        int count = values.Length / channels;
        var rgb = new byte[count * 3];
        for (int i = 0; i < count; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                rgb[3 * i + c] = (byte)values[i * channels + (channels == 1 ? 0 : c)];
            }
        }
        return rgb;
    }

    /// <summary>(K, g, g) grid maps → K maps of (g·patch)² values, row-major.</summary>
    private static float[][] PixelMaps(Tensor maps, int patchSize)
    {
        var pixels = AttentionMapExtractor.UpsampleToPixels(maps.unsqueeze(0).to(ScalarType.Float32).cpu(), patchSize)[0];
        return Enumerable.Range(0, (int)pixels.shape[0]).Select(k => pixels[k].contiguous().data<float>().ToArray()).ToArray();
    }

    private static byte[] ToRgba(byte[] rgb, int side)
    {
        var rgba = new byte[side * side * 4];
        for (int i = 0; i < side * side; i++)
        {
            rgba[4 * i] = rgb[3 * i];
            rgba[4 * i + 1] = rgb[3 * i + 1];
            rgba[4 * i + 2] = rgb[3 * i + 2];
            rgba[4 * i + 3] = 255;
        }
        return rgba;
    }

    private static byte[] Overlay(byte[] rgb, float[] map, int side)
    {
        var colours = Colour(map, map.Min(), map.Max());
        var rgba = ToRgba(rgb, side);
        for (int i = 0; i < rgba.Length; i++)
        {
            if (i % 4 != 3)
            {
                rgba[i] = (byte)Math.Round((1 - OverlayOpacity) * rgba[i] + OverlayOpacity * colours[i]);
            }
        }
        return rgba;
    }

    private static byte[] Colour(float[] map, double low, double high)
    {
        var rgba = new byte[map.Length * 4];
        double range = high - low;
        for (int i = 0; i < map.Length; i++)
        {
            var (r, g, b) = Viridis.At(range > 0 ? (map[i] - low) / range : 0.5);
            (rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2], rgba[4 * i + 3]) = (r, g, b, 255);
        }
        return rgba;
    }

    /// <summary>Lays the panels out in rows of <paramref name="columns"/>, labels them and writes the PNG.</summary>
    private static void Draw(string path, IReadOnlyList<(string Label, byte[] Rgba)> panels, int side, int scale, int columns,
        Action<SKCanvas, int, float, float>? decorate)
    {
        int panel = side * scale;
        int rows = (panels.Count + columns - 1) / columns;
        int width = columns * panel + (columns + 1) * Gap;
        int height = rows * (LabelHeight + panel) + (rows + 1) * Gap;
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"SkiaSharp could not create a {width}×{height} canvas");
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var font = new SKFont(SKTypeface.Default, 12);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        var nearest = new SKSamplingOptions(SKFilterMode.Nearest);
        for (int cell = 0; cell < panels.Count; cell++)
        {
            float left = Gap + cell % columns * (panel + Gap);
            float top = Gap + cell / columns * (LabelHeight + panel + Gap);
            canvas.DrawText(panels[cell].Label, left, top + LabelHeight - 4, SKTextAlign.Left, font, ink);
            using var bitmap = SKImage.FromPixelCopy(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Opaque), panels[cell].Rgba)
                ?? throw new InvalidOperationException("SkiaSharp could not wrap a panel's pixels");
            canvas.DrawImage(bitmap, SKRect.Create(left, top + LabelHeight, panel, panel), nearest);
            decorate?.Invoke(canvas, cell, left, top + LabelHeight);
        }
        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, png.ToArray());
    }
}
