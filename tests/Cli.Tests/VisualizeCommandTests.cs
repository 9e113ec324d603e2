using System.CommandLine;
using System.Text.Json;
using SemanticMIM.Model;
using SemanticMIM.Model.Checkpoints;
using SemanticMIM.Planning.Configs;
using SkiaSharp;

namespace SemanticMIM.Cli.Tests;

public sealed class VisualizeCommandTests : IDisposable
{
    private const int Depth = 2;
    private const int Heads = 2;

    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>A randomly initialised one-channel encoder for 16 px inputs (patch 4), saved as an encoder checkpoint.</summary>
    private string SaveEncoder(string relativePath, int proxies)
    {
        string path = _folder.File(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        torch.manual_seed(proxies);
        using var encoder = new VisionTransformer(new VisionTransformerConfig
        {
            ImageSize = 16, PatchSize = 4, InChannels = 1, EmbedDim = 32, Depth = Depth, NumHeads = Heads, MlpDim = 64, NumProxies = proxies,
        });
        ModelCheckpoint.Save(path, encoder);
        return path;
    }

    [Fact]
    public async Task Visualize_draws_maps_averages_and_distances_of_every_checkpoint_at_the_requested_size()
    {
        string semantic = SaveEncoder("semanticmim.safetensors", proxies: 4);
        string baseline = SaveEncoder("baseline.safetensors", proxies: 1);
        string output = _folder.File("attention");

        var (code, printed, errors) = await InvokeAsync("visualize", $"sm={semantic}", baseline, "--dataset", "synthetic-scenes",
            "--images", "3", "--average-images", "10", "--image-size", "24", "--queries", "1,2;35", "--subtract-mean", "--out", output);

        Assert.True(code == 0, errors);
        foreach (var (name, proxies) in new[] { ("sm", 4), ("baseline", 1) })
        {
            foreach (var file in new[] { "attention-maps-000.png", "attention-maps-001.png", "attention-maps-002.png", "proxy-average.png" })
            {
                string path = Path.Combine(output, name, file);
                Assert.True(File.Exists(path), $"{name}/{file} is missing");
                Assert.Contains(path, printed);
            }
            Assert.False(File.Exists(Path.Combine(output, name, "attention-maps-003.png")));
            // At 24 px the panels are enlarged 6× to 144 px: the image, every proxy and both queries in one row.
            using var maps = SKBitmap.Decode(Path.Combine(output, name, "attention-maps-000.png"));
            Assert.Equal((1 + proxies + 2) * 144 + (2 + proxies + 2) * 4, maps.Width);
        }
        using var scatter = SKBitmap.Decode(Path.Combine(output, "attention-distance.png"));
        Assert.Equal(800, scatter.Width);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "attention-distance.json")));
        var root = json.RootElement;
        Assert.Equal(24, root.GetProperty("imageSize").GetInt32());
        Assert.Equal(10, root.GetProperty("images").GetInt64());
        Assert.Equal("test", root.GetProperty("split").GetString());
        Assert.Contains("not renormalised", root.GetProperty("note").GetString());
        var points = root.GetProperty("points").EnumerateArray().ToList();
        foreach (var name in new[] { "sm", "baseline" })
        {
            var mine = points.Where(p => p.GetProperty("checkpoint").GetString() == name).ToList();
            Assert.Equal(Depth * Heads, mine.Count);
            Assert.Equal(Depth * Heads, mine.Select(p => (p.GetProperty("layer").GetInt32(), p.GetProperty("head").GetInt32())).Distinct().Count());
            // On a 6×6 grid of 4 px patches no two patches are more than 20√2 px apart.
            Assert.All(mine, p => Assert.InRange(p.GetProperty("distance").GetDouble(), 0.0, 20 * Math.Sqrt(2)));
        }
        Assert.Contains("attention-distance.json", printed);
    }

    [Fact]
    public async Task Checkpoints_sharing_a_file_name_are_named_by_their_folders()
    {
        string beit = SaveEncoder(Path.Combine("beit", "encoder.safetensors"), proxies: 1);
        string semantic = SaveEncoder(Path.Combine("semanticmim", "encoder.safetensors"), proxies: 2);
        string output = _folder.File("attention");

        var (code, _, errors) = await InvokeAsync("visualize", beit, semantic, "--dataset", "synthetic-scenes", "--images", "0", "--average-images", "2", "--out", output);

        Assert.True(code == 0, errors);
        Assert.True(File.Exists(Path.Combine(output, "beit", "proxy-average.png")));
        Assert.True(File.Exists(Path.Combine(output, "semanticmim", "proxy-average.png")));
        Assert.Empty(Directory.GetFiles(Path.Combine(output, "beit"), "attention-maps-*"));
    }

    [Fact]
    public async Task Bad_options_and_missing_checkpoints_are_listed_before_anything_is_drawn()
    {
        string output = _folder.File("attention");

        var (code, _, errors) = await InvokeAsync("visualize", _folder.File("missing.safetensors"), "--dataset", "synthetic-scenes",
            "--layer", "0", "--queries", "1,x", "--average-images", "0", "--out", output);

        Assert.Equal(2, code);
        foreach (var expected in new[] { "missing.safetensors does not exist", "--layer", "'1,x'", "--average-images" })
        {
            Assert.Contains(expected, errors);
        }
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task Unreadable_checkpoints_and_layers_or_queries_beyond_the_encoder_are_rejected()
    {
        string encoder = SaveEncoder("encoder.safetensors", proxies: 1);
        string junk = _folder.File("junk.safetensors");
        File.WriteAllText(junk, "not a checkpoint");
        string output = _folder.File("attention");

        var (code, _, errors) = await InvokeAsync("visualize", encoder, $"junk={junk}", "--dataset", "synthetic-scenes", "--layer", "3", "--queries", "4,0", "--out", output);

        Assert.Equal(2, code);
        Assert.Contains($"junk: cannot load {junk}", errors);
        Assert.Contains("--layer 3 is beyond its 2 layers", errors);
        Assert.Contains("query '4,0' lies outside its 4×4 grid", errors);
        Assert.False(Directory.Exists(output));
    }

    private static async Task<(int Code, string Output, string Errors)> InvokeAsync(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var previousError = Console.Error;
        Console.SetError(errors);
        try
        {
            var root = new RootCommand { VisualizeCommand.Create(output) };
            int code = await root.Parse(args).InvokeAsync();
            return (code, output.ToString(), errors.ToString());
        }
        finally
        {
            Console.SetError(previousError);
        }
    }
}
