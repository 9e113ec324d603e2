namespace SemanticMIM.Orchestration.Tests;

/// <summary>Specs the orchestrator plans (nothing runs them here: the tests play the workers' and jobs' part).</summary>
internal static class Specs
{
    /// <summary>Two training shards and one test shard, HOG targets, one linear-probe evaluation.</summary>
    public static string Tiny(string name, int evaluations = 1) => $$"""
        name: {{name}}
        dataset: { kind: fashionMnist, imageSize: 28, channels: 1, maxTrainSamples: 64, maxTestSamples: 32, shardSize: 32 }
        method: semanticMim
        target: { kind: hog, views: 2 }
        model: { preset: tiny, embedDim: 32, heads: 2, mlpDim: 64, depth: 2, proxies: 4 }
        training: { steps: 4, batchSize: 16 }
        {{Evaluations(evaluations)}}
        """;

    /// <summary><see cref="Tiny"/> with token targets: DALL-E's (weights under /data) or a VQ tokenizer trained by the first unit.</summary>
    public static string Tokens(string name, bool vq = false) => Tiny(name).Replace("target: { kind: hog, views: 2 }", vq
        ? "target: { kind: tokens, tokenizer: vq, vocabSize: 16, views: 2 }"
        : "target: { kind: tokens, tokenizer: dalle, dalleWeights: /data/dalle/encoder.pkl, views: 2 }");

    /// <summary>A sweep over <see cref="Tiny"/> (inline): <c>model.proxies</c> 2 and 4 × seeds 0 and 1, so four cells in that order.</summary>
    public static string Sweep(string name, int concurrency) => $$"""
        sweep:
          name: {{name}}
          concurrency: {{concurrency}}
          base:
        {{string.Join('\n', Tiny("base").Split('\n').Select(line => "    " + line))}}
          axes:
            model.proxies: [2, 4]
          seeds: [0, 1]
        """;

    private static string Evaluations(int count) => count == 0
        ? "evaluations: []"
        : "evaluations:\n" + string.Concat(Enumerable.Repeat("  - { protocol: linearProbe, epochs: 2, batchSize: 32 }\n", count));
}
