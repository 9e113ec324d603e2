namespace SemanticMIM.Integration.Tests.Infrastructure;

/// <summary>
/// Spec files small enough to go through the whole multi-process platform in seconds: the first 64 Fashion-MNIST
/// training images (Debian's dataset-fashion-mnist) in shards of 16, so that the training split has four shards
/// and the target stage four units; a tiny model; a two-epoch linear probe on 32 test images.
/// </summary>
public static class TinySpecs
{
    public const int TrainSamples = 64;
    public const int ShardSize = 16;
    public const int TrainShards = TrainSamples / ShardSize;

    /// <summary>HOG targets (the default) or any other target line, e.g. <see cref="VqTokens"/>.</summary>
    /// <param name="testSamples">Test images; another count than the default's makes another data set (its own shards and targets).</param>
    public static string FashionMnist(string name, int steps = 4, int batchSize = 16, int checkpointEvery = 2,
        string target = "{ kind: hog, views: 2 }", string method = "semanticMim", int proxies = 4, int testSamples = 32) => $$"""
        name: {{name}}
        dataset: { kind: fashionMnist, imageSize: 28, channels: 1, maxTrainSamples: {{TrainSamples}}, maxTestSamples: {{testSamples}}, shardSize: {{ShardSize}} }
        method: {{method}}
        target: {{target}}
        model: { preset: tiny, embedDim: 32, heads: 2, mlpDim: 64, depth: 2, proxies: {{proxies}} }
        masking: { ratio: 0.6 }
        training: { steps: {{steps}}, batchSize: {{batchSize}}, checkpointEvery: {{checkpointEvery}}, seed: 1 }
        evaluations:
          - { protocol: linearProbe, epochs: 2, batchSize: 32 }
        """;

    /// <summary>BEiT-style token targets: the first target unit trains the VQ tokenizer, the others follow it.</summary>
    public const string VqTokens = "{ kind: tokens, tokenizer: vq, vocabSize: 16, tokenizerSteps: 3, views: 1 }";
}
