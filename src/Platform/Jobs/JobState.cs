namespace SemanticMIM.Platform.Jobs;

public enum JobStatus
{
    /// <summary>No job of that name was launched (or it was cleaned up).</summary>
    NotFound,

    Running,

    Succeeded,

    /// <summary>The job ended with an error (or was cancelled); <see cref="JobState.Message"/> says why. It may be launched again.</summary>
    Failed,
}

/// <summary>Where a launched job stands; <see cref="Message"/> carries a failure's reason.</summary>
public sealed record JobState(JobStatus Status, string? Message = null)
{
    public static JobState NotFound { get; } = new(JobStatus.NotFound);

    public static JobState Running { get; } = new(JobStatus.Running);

    public static JobState Succeeded { get; } = new(JobStatus.Succeeded);

    public bool IsFinished => Status is JobStatus.Succeeded or JobStatus.Failed;

    public static JobState Failed(string message) => new(JobStatus.Failed, message);

    public override string ToString() => Message is null ? Status.ToString() : $"{Status}: {Message}";
}
