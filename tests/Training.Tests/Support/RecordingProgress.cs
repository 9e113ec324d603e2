namespace SemanticMIM.Training.Tests.Support;

/// <summary>Collects progress synchronously (unlike Progress&lt;T&gt;, which posts) and can act on a step.</summary>
internal sealed class RecordingProgress(Action<TrainingProgress>? onReport = null) : IProgress<TrainingProgress>
{
    public List<TrainingProgress> Reports { get; } = [];

    public void Report(TrainingProgress value)
    {
        Reports.Add(value);
        onReport?.Invoke(value);
    }
}
