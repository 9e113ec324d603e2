namespace SemanticMIM.Workers;

/// <summary>The roles a worker host can play; the embedded run plays all of them in one process.</summary>
[Flags]
public enum ServiceRole
{
    Orchestrator = 1,
    Shard = 2,
    Target = 4,
    All = Orchestrator | Shard | Target,
}
