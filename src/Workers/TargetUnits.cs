using SemanticMIM.Contracts.Messages;
using SemanticMIM.Data.Shards;
using SemanticMIM.Model.Targets;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Pipeline.Targets;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Platform.Telemetry;

namespace SemanticMIM.Workers;

/// <summary>
/// The target units of one experiment, as the target service (one shard per message) and the tokens jobs (a part of
/// the shards each) run them: the verified training shards, the tokenizer loaded (or trained) once, and
/// <see cref="TargetStage.ComputeShardAsync"/> per shard, which keeps a file that already names the same shard content.
/// </summary>
public sealed class TargetUnits : IDisposable
{
    private readonly StoreFiles _files;
    private readonly ExperimentPlan _plan;
    private readonly SemanticMimMetrics _metrics;
    private readonly IVisualTokenizer? _tokenizer;
    private readonly TargetComputer _computer;
    private readonly ShardReader _reader;

    private TargetUnits(StoreFiles files, ExperimentPlan plan, SemanticMimMetrics metrics, ShardManifest train, IVisualTokenizer? tokenizer, string trainFolder)
    {
        _files = files;
        _plan = plan;
        _metrics = metrics;
        Train = train;
        _tokenizer = tokenizer;
        _computer = new TargetComputer(plan.Targets, plan.Dataset, tokenizer);
        _reader = new ShardReader(trainFolder);
    }

    /// <summary>The experiment's training shards, in order.</summary>
    public ShardManifest Train { get; }

    public static async Task<TargetUnits> OpenAsync(StoreFiles files, ExperimentPlan plan, SemanticMimMetrics metrics, CancellationToken cancellation)
    {
        string trainPrefix = StoreLayout.DatasetSplit(plan.Dataset.Id, plan.Dataset.TrainSplit);
        var train = await ShardStage.ReadVerifiedAsync(files, trainPrefix, cancellation)
            ?? throw new InvalidDataException($"the training shards under {trainPrefix} are missing or do not verify");
        string trainFolder = await files.LocalFolderAsync(trainPrefix, cancellation);
        var tokenizer = plan.Targets.IsHog ? null : (await TokenizerStage.ForPlanAsync(files, plan, cancellation: cancellation)).Value.Tokenizer;
        return new TargetUnits(files, plan, metrics, train, tokenizer, trainFolder);
    }

    /// <summary>The index of the training shard named <paramref name="shard"/>.</summary>
    public int IndexOf(string shard)
    {
        int index = Train.Shards.ToList().FindIndex(s => s.Name == shard);
        return index >= 0 ? index : throw new InvalidDataException($"the training split has no shard named '{shard}'");
    }

    /// <summary>Computes (or finds) the target file of training shard <paramref name="index"/>; true when it was already there.</summary>
    public async Task<bool> ComputeAsync(int index, CancellationToken cancellation)
    {
        var shard = Train.Shards[index];
        long firstIndex = Train.Shards.Take(index).Sum(s => (long)s.Samples);
        string prefix = StoreLayout.Targets(_plan.Dataset.Id, _plan.Targets.Id);
        bool reused = (await TargetStage.ComputeShardAsync(_files, prefix, _computer, _reader, shard, firstIndex, cancellation)).Reused;
        if (!reused)
        {
            _metrics.RecordSamplesWritten(Stages.Targets, _plan.Id, shard.Samples);
        }
        _metrics.UnitCompleted(Stages.Targets, _plan.Id);
        return reused;
    }

    public void Dispose() => (_tokenizer as IDisposable)?.Dispose();
}
