namespace SemanticMIM.Workers.Tests;

/// <summary>Spec files small enough to go through the whole platform in seconds.</summary>
internal static class TinySpecYaml
{
    public static string FashionMnist(string name, string target = "{ kind: hog, views: 2 }", string method = "semanticMim", int proxies = 4) => $$"""
        name: {{name}}
        dataset: { kind: fashionMnist, imageSize: 28, channels: 1, maxTrainSamples: 64, maxTestSamples: 32, shardSize: 32 }
        method: {{method}}
        target: {{target}}
        model: { preset: tiny, embedDim: 32, heads: 2, mlpDim: 64, depth: 2, proxies: {{proxies}} }
        masking: { ratio: 0.6 }
        training: { steps: 4, batchSize: 16, checkpointEvery: 2, seed: 1 }
        evaluations:
          - { protocol: linearProbe, epochs: 2, batchSize: 32 }
        """;

    public static string SyntheticScenes(string name) => $$"""
        name: {{name}}
        dataset: { kind: syntheticScenes, imageSize: 32, channels: 3, maxTrainSamples: 32, maxTestSamples: 16, shardSize: 16 }
        method: semanticMim
        target: { kind: hog, views: 1 }
        model: { preset: tiny, embedDim: 32, heads: 2, mlpDim: 64, depth: 2, proxies: 2 }
        training: { steps: 3, batchSize: 8 }
        evaluations:
          - { protocol: segmentationProbe, epochs: 2, batchSize: 8, learningRate: 0.01 }
        """;
}
