using SemanticMIM.Contracts.Messages;
using SemanticMIM.Data.Shards;

namespace SemanticMIM.Workers;

/// <summary>Builds the event that announces a sharded split from its manifest.</summary>
public static class ShardEvents
{
    public static DatasetSharded Sharded(Guid experimentId, string split, ShardManifest manifest, bool reused) => new()
    {
        ExperimentId = experimentId,
        Split = split,
        Samples = manifest.TotalSamples,
        Shards = manifest.Shards.Select(s => s.Name).ToList(),
        Skipped = manifest.Skipped.Count,
        Reused = reused,
    };
}
