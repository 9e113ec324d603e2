using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Data.Shards;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Pipeline.Targets;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Jobs.Agents;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Integration.Tests.Infrastructure;

/// <summary>What a completed experiment must have left in the S3 store, read back through <see cref="IObjectStore"/>.</summary>
public static partial class StoreChecks
{
    public static ExperimentPlan Plan(string specYaml) => ExperimentPlan.From(SpecReader.Read(specYaml, "spec"));

    /// <summary>The training split's manifest and every shard it names (size and SHA-256 as recorded).</summary>
    public static async Task<ShardManifest> VerifyTrainingShardsAsync(IObjectStore store, ExperimentPlan plan)
    {
        string prefix = StoreLayout.DatasetSplit(plan.Dataset.Id, plan.Dataset.TrainSplit);
        string key = StoreLayout.Key(prefix, ShardManifest.FileName);
        Assert.True(await store.ExistsAsync(key), $"{key} is missing");
        var manifest = ShardManifest.FromJson(await store.ReadTextAsync(key));
        Assert.Equal(TinySpecs.TrainSamples, manifest.TotalSamples);
        Assert.Equal(TinySpecs.TrainShards, manifest.Shards.Count);
        Assert.Equal(manifest.Shards.Count, manifest.Shards.Select(s => s.Name).Distinct().Count());
        foreach (var shard in manifest.Shards)
        {
            string shardKey = StoreLayout.Key(prefix, shard.Name);
            Assert.True(await store.ExistsAsync(shardKey), $"{shardKey}, named by {key}, is missing");
            byte[] bytes = await store.ReadBytesAsync(shardKey);
            Assert.True(shard.Bytes == bytes.Length, $"{shardKey} has {bytes.Length} bytes, the manifest says {shard.Bytes}");
            Assert.True(Sha256(bytes) == shard.Sha256, $"{shardKey}'s SHA-256 differs from the manifest's");
        }
        return manifest;
    }

    /// <summary>
    /// The target set: a manifest covering exactly the training shards, in order, and under the target prefix
    /// exactly one file per shard (nothing duplicated, nothing left over) besides the manifest, each verifying.
    /// </summary>
    public static async Task<TargetManifest> VerifyTargetsAsync(IObjectStore store, ExperimentPlan plan, ShardManifest train)
    {
        string prefix = StoreLayout.Targets(plan.Dataset.Id, plan.Targets.Id);
        string key = StoreLayout.Key(prefix, TargetManifest.FileName);
        Assert.True(await store.ExistsAsync(key), $"{key} is missing");
        var manifest = JsonSerializer.Deserialize<TargetManifest>(await store.ReadTextAsync(key), TargetManifest.Json)
            ?? throw new InvalidDataException($"{key} is empty");
        Assert.Equal(plan.Targets.Id, manifest.Target);
        Assert.Equal(train.Shards.Select(s => (s.Name, s.Sha256, s.Samples)), manifest.Files.Select(f => (f.Shard, f.ShardSha256, f.Samples)));
        Assert.Equal(train.Shards.Select(s => TargetFileInfo.NameFor(s.Name)), manifest.Files.Select(f => f.Name));

        var listed = await store.ListAllAsync(prefix + "/");
        // Each shard's targets file, its compute time (read by a sweep's cost columns) and the manifest; nothing else.
        Assert.Equal(manifest.Files.SelectMany(f => new[] { StoreLayout.Key(prefix, f.Name), StoreLayout.Key(prefix, TargetTiming.NameFor(f.Shard)) })
                .Append(key).Order(StringComparer.Ordinal),
            listed.Select(o => o.Key).Order(StringComparer.Ordinal));
        foreach (var file in manifest.Files)
        {
            string fileKey = StoreLayout.Key(prefix, file.Name);
            byte[] bytes = await store.ReadBytesAsync(fileKey);
            Assert.True(file.Bytes == bytes.Length, $"{fileKey} has {bytes.Length} bytes, the manifest says {file.Bytes}");
            Assert.True(Sha256(bytes) == file.Sha256, $"{fileKey}'s SHA-256 differs from the manifest's");
        }
        return manifest;
    }

    /// <summary>The steps of the complete checkpoints (those with their manifest) of the experiment's pretraining.</summary>
    public static async Task<List<int>> CheckpointStepsAsync(IObjectStore store, ExperimentPlan plan)
    {
        var listed = await store.ListAllAsync(StoreLayout.PretrainingCheckpoints(plan.PretrainingId) + "/");
        return [.. listed.Select(o => CheckpointManifest().Match(o.Key)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture)).Order()];
    }

    /// <summary>Everything after pretraining: the pretraining's encoder, the experiment's results (with both controls), report.</summary>
    public static async Task<List<EvaluationResult>> VerifyOutcomeAsync(IObjectStore store, ExperimentPlan plan)
    {
        string experiment = StoreLayout.Experiment(plan.Id);
        string encoderKey = StoreLayout.PretrainingEncoder(plan.PretrainingId);
        var encoder = (await store.ListAllAsync(encoderKey)).SingleOrDefault(o => o.Key == encoderKey);
        Assert.True(encoder is { Size: > 0 }, $"{encoderKey} is missing or empty");

        string resultsKey = StoreLayout.Key(experiment, StoreLayout.ResultsFile);
        Assert.True(await store.ExistsAsync(resultsKey), $"{resultsKey} is missing");
        var results = JsonSerializer.Deserialize<List<EvaluationResult>>(await store.ReadTextAsync(resultsKey), EvaluationStage.Json)
            ?? throw new InvalidDataException($"{resultsKey} is empty");
        foreach (var encoderKind in new[] { EncoderKinds.Pretrained, EncoderKinds.RandomInit, EncoderKinds.RawPixels })
        {
            Assert.True(results.Any(r => r.Encoder == encoderKind && r.Protocol == ProtocolNames.LinearProbe && double.IsFinite(r.Value)),
                $"{resultsKey} has no {encoderKind} linear-probe row: {string.Join(", ", results.Select(r => $"{r.Encoder}/{r.Feature}/{r.Layer}"))}");
        }

        string reportKey = StoreLayout.Key(StoreLayout.Key(experiment, "report"), "report.md");
        Assert.True(await store.ExistsAsync(reportKey), $"{reportKey} is missing");
        Assert.Contains(plan.Id, await store.ReadTextAsync(reportKey), StringComparison.Ordinal);
        return results;
    }

    /// <summary>The agent launcher's record of a job (<c>jobs/&lt;name&gt;.json</c>).</summary>
    public static async Task<JobRecord> JobRecordAsync(IObjectStore store, string name) =>
        JsonSerializer.Deserialize<JobRecord>(await store.ReadTextAsync(JobRecords.Key(name)), ObjectStoreJson.Records)
            ?? throw new InvalidDataException($"the record of job {name} is empty");

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [GeneratedRegex(@"/checkpoints/step-(\d+)/manifest\.json$")]
    private static partial Regex CheckpointManifest();
}
