using SemanticMIM.Data.Shards;
using SemanticMIM.Pipeline.Targets;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Pipeline.Loading;

/// <summary>One training shard on local disk with its target file; none when the targets are computed online (<c>target.views: 0</c>).</summary>
public sealed record ShardPart(string ShardFolder, ShardInfo Shard, string? TargetPath)
{
    /// <summary>Every training shard of a plan with its target file, local, in the manifests' order.</summary>
    public static async Task<IReadOnlyList<ShardPart>> ListAsync(StoreFiles files, ExperimentPlan plan, ShardManifest train, TargetManifest targets,
        CancellationToken cancellation = default)
    {
        string trainFolder = await files.LocalFolderAsync(StoreLayout.DatasetSplit(plan.Dataset.Id, plan.Dataset.TrainSplit), cancellation);
        if (plan.Targets.Views == 0)
        {
            return train.Shards.Select(shard => new ShardPart(trainFolder, shard, null)).ToList();
        }
        string targetFolder = await files.LocalFolderAsync(StoreLayout.Targets(plan.Dataset.Id, plan.Targets.Id), cancellation);
        return train.Shards.Zip(targets.Files, (shard, file) => new ShardPart(trainFolder, shard, Path.Combine(targetFolder, file.Name))).ToList();
    }
}
