namespace SemanticMIM.Contracts.Messages;

/// <summary>
/// The names of an experiment's stages, as <see cref="ExperimentFailed.Stage"/>, progress displays and the
/// <c>stage</c> label of the metrics use them; <see cref="Timeout"/> names the other way a stage can
/// fail.
/// </summary>
public static class Stages
{
    public const string Shard = "shard";
    public const string Tokenizer = "tokenizer";
    public const string Targets = "targets";
    public const string Pretrain = "pretrain";
    public const string Evaluate = "evaluate";
    public const string Report = "report";
    public const string Timeout = "timeout";

    /// <summary>The pipeline's stages in the order they run.</summary>
    public static IReadOnlyList<string> InOrder { get; } = [Shard, Tokenizer, Targets, Pretrain, Evaluate, Report];
}
