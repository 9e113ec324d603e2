using System.Text.Json;
using SemanticMIM.Evaluation.Attention;
using SkiaSharp;
using TorchSharp;

namespace SemanticMIM.Evaluation.Tests.Attention;

public sealed class AttentionFiguresTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ImageMapsShowTheImageThenEveryProxyThenEveryQueryInOneRow()
    {
        using var scope = torch.NewDisposeScope();
        // A 16 px mid-grey image (grid 4, patch 4); proxy 1 attends only to patch 0.
        var image = torch.full(1, 16, 16, 128f / 255);
        var proxies = torch.zeros(1, 2, 4, 4);
        proxies[0, 0, 0, 0] = torch.tensor(1f);
        var queries = torch.rand(1, 1, 4, 4, generator: new torch.Generator(1));
        using var maps = new ProxyAttentionMaps(proxies, queries, [6], GridSize: 4, PatchSize: 4);
        string path = _folder.File("maps.png");

        AttentionFigures.WriteImageMaps(path, image, maps, index: 0);

        using var png = SKBitmap.Decode(path);
        // 4 panels of 16·8 = 128 px: 4·128 + 5·4 wide, 4 + 16 + 128 + 4 high.
        Assert.Equal(532, png.Width);
        Assert.Equal(152, png.Height);
        int panelTop = 4 + 16;
        Assert.Equal(new SKColor(128, 128, 128), png.GetPixel(4 + 64, panelTop + 64));
        // Proxy 1's panel: patch 0 (32×32 px on screen) is the top of the colour map blended 0.6 over grey.
        int proxyLeft = 4 + 128 + 4;
        Assert.Equal(new SKColor(203, 190, 73), png.GetPixel(proxyLeft + 10, panelTop + 10));
        Assert.Equal(new SKColor(92, 52, 102), png.GetPixel(proxyLeft + 100, panelTop + 100));
    }

    [Fact]
    public void AveragedProxyMapsFormAGridOfFourPerRow()
    {
        using var means = torch.rand(5, 3, 3, generator: new torch.Generator(2));
        string path = _folder.File("grid.png");

        AttentionFigures.WriteProxyAverageGrid(path, means, patchSize: 8);

        using var png = SKBitmap.Decode(path);
        // 24 px maps enlarged 6× to 144 px: 4 columns and 2 rows.
        Assert.Equal(4 * 144 + 5 * 4, png.Width);
        Assert.Equal(2 * (16 + 144) + 3 * 4, png.Height);
    }

    [Fact]
    public void DistanceScatterIsAReadablePng()
    {
        string path = _folder.File("distance.png");
        AttentionFigures.WriteDistanceScatter(path, [("baseline", [[1, 2], [3, 4]]), ("semanticmim", [[5, 6], [7, 8]])]);
        using var png = SKBitmap.Decode(path);
        Assert.Equal(800, png.Width);
        Assert.Equal(450, png.Height);
    }

    [Fact]
    public void ReportListsEveryHeadOfEveryLayerOneBasedWithTheNormalisationNote()
    {
        var report = AttentionDistanceReport.Create("synthetic-scenes", "test", 32, 10, [("a", [[1, 2], [3, 4], [5, 6]]), ("b", [[7, 8], [9, 10], [11, 12]])]);
        string path = _folder.File(AttentionDistanceReport.FileName);
        report.Write(path);

        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var points = json.RootElement.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(12, points.Count);
        var last = points[^1];
        Assert.Equal("b", last.GetProperty("checkpoint").GetString());
        Assert.Equal(3, last.GetProperty("layer").GetInt32());
        Assert.Equal(2, last.GetProperty("head").GetInt32());
        Assert.Equal(12, last.GetProperty("distance").GetDouble());
        Assert.Contains("not renormalised", json.RootElement.GetProperty("note").GetString());
    }

    [Fact]
    public void ViridisRunsFromDarkPurpleToYellowLinearlyBetweenItsColours()
    {
        Assert.Equal(((byte)68, (byte)1, (byte)84), Viridis.At(0));
        Assert.Equal(((byte)253, (byte)231, (byte)37), Viridis.At(1));
        // A tenth of the way lies 0.8 of the way from the first colour to the second.
        Assert.Equal(((byte)70, (byte)35, (byte)114), Viridis.At(0.1));
        Assert.Equal(Viridis.At(1), Viridis.At(2));
    }
}
