namespace SemanticMIM.Pipeline;

/// <summary>How far one stage of one experiment has come: <see cref="Done"/> of <see cref="Total"/> units.</summary>
public sealed record PipelineProgress(string Experiment, string Stage, long Done, long Total, string Detail = "")
{
    public const string Shard = "shard";
    public const string Tokenizer = "tokenizer";
    public const string Targets = "targets";
    public const string Pretrain = "pretrain";
    public const string Evaluate = "evaluate";
}
