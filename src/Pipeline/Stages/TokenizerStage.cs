using System.Text.Json;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Shards;
using SemanticMIM.Data.Tensors;
using SemanticMIM.Data.Views;
using SemanticMIM.Model.Checkpoints;
using SemanticMIM.Model.Targets;
using SemanticMIM.Planning;
using SemanticMIM.Planning.Configs;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Training.Tokenizers;

namespace SemanticMIM.Pipeline.Stages;

/// <summary>
/// Trains the project's VQ tokenizer on a data set's training images (BEiT targets without DALL-E weights,
/// a documented deviation of spec (c)), once per data set and setting: its weights and its report, with the
/// codebook usage, are kept under <c>targets/&lt;dataset&gt;/&lt;tokenizer&gt;/</c>; the report is the commit marker.
/// </summary>
public static class TokenizerStage
{
    public const string WeightsFile = "tokenizer.safetensors";
    public const string ReportFile = "tokenizer.json";
    public const string Format = "semanticmim.vq-tokenizer.v1";

    // Enough images to cover the data set's appearance; views are drawn from them afresh every step.
    private const int MaxImages = 20_000;
    private const int EvaluationImages = 512;

    /// <summary>
    /// The tokenizer a token-target plan needs: DALL-E loaded from its weights, or the VQ tokenizer trained (or
    /// reused) by <see cref="RunAsync"/>; the report is null for DALL-E.
    /// </summary>
    public static async Task<StageResult<(IVisualTokenizer Tokenizer, VqTokenizerReport? Report)>> ForPlanAsync(
        StoreFiles files, ExperimentPlan plan, Action<VqTrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (plan.Spec.Target.Tokenizer == Contracts.Specs.TokenizerKind.Dalle)
        {
            var dalle = new DalleEncoder(new DalleEncoderConfig());
            dalle.LoadWeights(plan.Spec.Target.DalleWeights);
            dalle.eval();
            return new((dalle, null), Reused: true);
        }
        string trainFolder = await files.LocalFolderAsync(StoreLayout.DatasetSplit(plan.Dataset.Id, plan.Dataset.TrainSplit), cancellation);
        var trained = await RunAsync(files, plan.Targets, plan.Dataset, trainFolder, progress, cancellation);
        return new((trained.Value.Tokenizer, trained.Value.Report), trained.Reused);
    }

    public static async Task<StageResult<(VqTokenizer Tokenizer, VqTokenizerReport Report)>> RunAsync(
        StoreFiles files, TargetPlan plan, DatasetPlan dataset, string trainFolder, Action<VqTrainingProgress>? progress = null,
        CancellationToken cancellation = default)
    {
        string prefix = StoreLayout.Tokenizer(dataset.Id, plan.TokenizerId ?? throw new InvalidOperationException("the plan has no VQ tokenizer"));
        var config = new VqTokenizerConfig { InputChannels = dataset.Channels, VocabSize = plan.Spec.VocabSize };
        string? reportJson = await files.ReadTextAsync(StoreLayout.Key(prefix, ReportFile), cancellation);
        if (reportJson is not null)
        {
            var stored = new VqTokenizer(config);
            var (tensors, _) = SafetensorsFile.Load(await files.LocalFileAsync(StoreLayout.Key(prefix, WeightsFile), cancellation));
            try
            {
                ModelCheckpoint.LoadInto(stored, tensors, WeightsFile);
            }
            finally
            {
                foreach (var tensor in tensors.Values)
                {
                    tensor.Dispose();
                }
            }
            stored.eval();
            return new((stored, VqTokenizerReport.FromJson(reportJson)), Reused: true);
        }

        var images = new ShardReader(trainFolder).ReadAll().Take(MaxImages).Select(s => ModelInput.Decode(s, dataset)).ToList();
        var sampler = ViewSampler.For(plan.Augmentation);
        var options = new VqTrainingOptions { Steps = plan.Spec.TokenizerSteps, Seed = sampler.Seed };
        int size = plan.TokenizerInputSize;
        TorchSharp.torch.Tensor NextBatch(int step)
        {
            // Views of the tokenizer's own stream (view indices past the recorded ones), seeded by the step.
            var random = new SplitMix64(sampler.Seed, step, -1);
            var batch = new ImageBuffer[options.BatchSize];
            for (int i = 0; i < batch.Length; i++)
            {
                int index = random.NextInt(images.Count);
                var view = sampler.Sample(images[index].Width, images[index].Height, index, plan.Views + step);
                batch[i] = ViewRenderer.Render(images[index], view, size, ResizeFilter.Lanczos);
            }
            return BatchTensors.Images(batch);
        }
        var evaluation = images.Take(EvaluationImages)
            .Select(image => ViewRenderer.Render(image, CropView.Whole(image.Width, image.Height), size, ResizeFilter.Lanczos))
            .ToList();
        var tokenizer = new VqTokenizer(config);
        using var evaluationImages = BatchTensors.Images(evaluation);
        var report = VqTokenizerTrainer.Train(tokenizer, NextBatch, options, evaluationImages,
            progress is null ? null : new SyncProgress<VqTrainingProgress>(progress), cancellation);

        string scratch = files.ScratchFolder(prefix);
        SafetensorsFile.Save(Path.Combine(scratch, WeightsFile), ModelCheckpoint.StateDict(tokenizer), new Dictionary<string, string>
        {
            ["format"] = Format,
            ["config"] = JsonSerializer.Serialize(config),
        });
        await File.WriteAllTextAsync(Path.Combine(scratch, ReportFile), report.ToJson(), cancellation);
        await files.UploadFolderAsync(scratch, prefix, ReportFile, cancellation);
        Directory.Delete(scratch, recursive: true);
        return new((tokenizer, report), Reused: false);
    }
}
