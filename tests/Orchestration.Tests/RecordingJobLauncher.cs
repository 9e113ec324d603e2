using System.Collections.Concurrent;
using SemanticMIM.Platform.Jobs;

namespace SemanticMIM.Orchestration.Tests;

/// <summary>
/// Stands in for a job launcher (Kubernetes Jobs or job agents, tested against the fake Kubernetes API and the real
/// broker elsewhere): keeps every launch and cancel request in order, and answers states from them.
/// </summary>
public sealed class RecordingJobLauncher : IJobLauncher
{
    private readonly ConcurrentQueue<JobSpec> _launched = new();
    private readonly ConcurrentQueue<string> _cancelled = new();

    public IReadOnlyList<JobSpec> Launched => [.. _launched];

    public IReadOnlyList<string> Cancelled => [.. _cancelled];

    public Task LaunchAsync(JobSpec job, CancellationToken cancellationToken)
    {
        job.EnsureValid();
        _launched.Enqueue(job);
        return Task.CompletedTask;
    }

    public Task<JobState> GetStateAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(_cancelled.Contains(name) ? JobState.Failed("cancelled")
            : _launched.Any(job => job.Name == name) ? JobState.Running : JobState.NotFound);

    public Task CancelAsync(string name, CancellationToken cancellationToken)
    {
        _cancelled.Enqueue(name);
        return Task.CompletedTask;
    }
}
