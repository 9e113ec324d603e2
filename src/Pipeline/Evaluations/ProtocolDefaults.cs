namespace SemanticMIM.Pipeline.Evaluations;

/// <summary>Reading an evaluation spec's numbers, where 0 means "the protocol's default".</summary>
internal static class ProtocolDefaults
{
    public static int Or(int value, int fallback) => value > 0 ? value : fallback;
}
