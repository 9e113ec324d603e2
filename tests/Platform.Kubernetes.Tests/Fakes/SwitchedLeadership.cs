using SemanticMIM.Platform.Coordination;

namespace SemanticMIM.Platform.Kubernetes.Tests.Fakes;

/// <summary>Leadership a test turns on and off.</summary>
internal sealed class SwitchedLeadership : ILeadership
{
    readonly Lock _lock = new();
    CancellationTokenSource? _term;
    TaskCompletionSource<CancellationToken> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsLeader
    {
        get
        {
            lock (_lock)
            {
                return _term is not null;
            }
        }
    }

    public void Lead()
    {
        lock (_lock)
        {
            _term = new CancellationTokenSource();
            _next.TrySetResult(_term.Token);
        }
    }

    public void Resign()
    {
        CancellationTokenSource? ended;
        lock (_lock)
        {
            ended = _term;
            _term = null;
            _next = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        ended?.Cancel(); // outside the lock and after the term is gone, as LeaseLeaderElector does
    }

    public Task<CancellationToken> WaitForLeadershipAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return _term is not null ? Task.FromResult(_term.Token) : _next.Task.WaitAsync(cancellationToken);
        }
    }
}
