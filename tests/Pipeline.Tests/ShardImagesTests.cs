using SemanticMIM.Contracts.Specs;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Evaluation;
using SemanticMIM.Pipeline.Loading;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Pipeline.Tests;

public sealed class ShardImagesTests : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly FolderObjectStore _store;
    private readonly StoreFiles _files;

    public ShardImagesTests()
    {
        _store = new FolderObjectStore(_folder.File("store"));
        _files = new StoreFiles(_store, _folder.File("cache"));
    }

    public void Dispose() => _folder.Dispose();

    /// <summary>Synthetic scenes in five shards of 7 (the last of 2), so shuffled orders cross shard groups.</summary>
    private async Task<(DatasetPlan Dataset, string Folder)> ScenesAsync()
    {
        var dataset = DatasetPlan.From(new DatasetSpec { Kind = DatasetKind.SyntheticScenes, ImageSize = 24, Channels = 1, MaxTrainSamples = 30, ShardSize = 7 });
        await ShardStage.RunAsync(_files, dataset, dataset.TrainSplit);
        return (dataset, _store.LocalPath(StoreLayout.DatasetSplit(dataset.Id, dataset.TrainSplit)));
    }

    /// <summary>Each image's mean pixel, to recognise a sample after reordering.</summary>
    private static List<float> Fingerprints(IEvaluationImages images, int batchSize, ulong? seed) =>
        images.Batches(batchSize, seed).SelectMany(b => b.Images.mean([1, 2, 3]).data<float>().ToArray()).ToList();

    [Fact]
    public async Task Shuffled_orders_visit_every_sample_once_depend_on_the_seed_alone_and_batches_hold_at_most_the_batch_size()
    {
        var (dataset, folder) = await ScenesAsync();
        var images = new ShardImages(folder, dataset, EvaluationView.Squashed);

        var stored = Fingerprints(images, 8, null);
        var shuffled = Fingerprints(images, 8, 11);

        Assert.Equal(30, images.Count);
        Assert.Equal(30, stored.Count);
        Assert.Equal(stored.Order(), shuffled.Order());
        Assert.NotEqual(stored, shuffled);
        Assert.Equal(shuffled, Fingerprints(images, 5, 11));
        Assert.NotEqual(shuffled, Fingerprints(images, 8, 12));
        Assert.Equal([8L, 8, 8, 6], images.Batches(8).Select(b => b.Images.shape[0]));
    }

    [Fact]
    public async Task Views_give_unit_range_images_with_label_maps_of_their_shape()
    {
        var (dataset, folder) = await ScenesAsync();

        // A batch lives until the next one is asked for: read it inside the loop.
        foreach (var squashed in new ShardImages(folder, dataset, EvaluationView.Squashed).Batches(4))
        {
            Assert.Equal(new long[] { 4, 1, 24, 24 }, squashed.Images.shape);
            Assert.Equal(new long[] { 4, 24, 24 }, squashed.Labels.shape);
            Assert.InRange(squashed.Images.min().item<float>(), 0f, 1f);
            Assert.InRange(squashed.Images.max().item<float>(), 0f, 1f);
            break;
        }
        foreach (var landscape in new ShardImages(folder, dataset, EvaluationView.Landscape).Batches(4))
        {
            Assert.Equal(new long[] { 4, 1, 24, 32 }, landscape.Images.shape);
            Assert.Equal(new long[] { 4, 24, 32 }, landscape.Labels.shape);
            break;
        }

        // A split without class labels cannot feed a classification protocol.
        Assert.Throws<InvalidDataException>(() => new ShardImages(folder, dataset, EvaluationView.CenterSquare).Batches(4).First());
    }

    [Theory]
    [InlineData(640, 480, 0, 0, 640, 480)]
    [InlineData(800, 480, 80, 0, 640, 480)]
    [InlineData(300, 500, 0, 137, 300, 225)]
    public void The_landscape_view_is_the_largest_central_four_by_three_window(int width, int height, int left, int top, int windowWidth, int windowHeight)
    {
        // Each pixel holds its column (mod 256) in the red channel and its row in the green one, so the crop can be read back.
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                pixels[(y * width + x) * 3] = (byte)(x % 256);
                pixels[(y * width + x) * 3 + 1] = (byte)(y % 256);
            }
        }
        var labels = new LabelMap(width, height, Enumerable.Range(0, width * height).Select(i => (byte)(i % width == left ? 1 : 0)).ToArray());

        var view = ModelInput.LandscapeView(new ImageBuffer(width, height, 3, pixels), windowHeight);
        var viewLabels = ModelInput.LandscapeLabels(labels, windowHeight);

        Assert.Equal((windowWidth, windowHeight), (view.Width, view.Height));
        Assert.Equal(left % 256, view.Pixels[0]);
        Assert.Equal(top % 256, view.Pixels[1]);
        Assert.Equal((windowWidth, windowHeight), (viewLabels.Width, viewLabels.Height));
        Assert.Equal(1, viewLabels[0, 0]);
    }
}
