namespace SemanticMIM.Pipeline;

/// <summary>How far one stage of one experiment has come: <see cref="Done"/> of <see cref="Total"/> units.</summary>
/// <remarks><see cref="Stage"/> is one of <see cref="Contracts.Messages.Stages"/>.</remarks>
public sealed record PipelineProgress(string Experiment, string Stage, long Done, long Total, string Detail = "");
