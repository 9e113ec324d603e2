using System.Collections.Concurrent;

namespace SemanticMIM.Platform.Messaging.Tests.Infrastructure;

/// <summary>What a test consumer received, registered as a singleton in the test's host.</summary>
public sealed class Received<T>
    where T : class
{
    readonly ConcurrentQueue<T> _messages = new();
    readonly ConcurrentDictionary<Func<T, bool>, TaskCompletionSource<T>> _waiters = new();

    public IReadOnlyCollection<T> Messages => _messages.ToArray();

    public void Add(T message)
    {
        _messages.Enqueue(message);
        foreach (var (match, waiter) in _waiters)
        {
            if (match(message))
            {
                waiter.TrySetResult(message);
            }
        }
    }

    /// <summary>The first message (received before or after the call) that matches, or a TimeoutException.</summary>
    public async Task<T> WaitAsync(Func<T, bool> match, TimeSpan? timeout = null)
    {
        var waiter = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters[match] = waiter;
        try
        {
            var existing = _messages.FirstOrDefault(match);
            if (existing is not null)
            {
                return existing;
            }

            return await waiter.Task.WaitAsync(timeout ?? TestBus.Timeout);
        }
        finally
        {
            _waiters.TryRemove(match, out _);
        }
    }
}
