namespace SemanticMIM.Pipeline;

/// <summary>Reports on the caller's thread, in order; <see cref="System.Progress{T}"/> would post them to the thread pool.</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
