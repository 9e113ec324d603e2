using System.Threading.Channels;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace SemanticMIM.Platform.Messaging;

/// <summary>
/// Publishes events in the order they were queued, from a task of its own: the code that queues them (a training
/// loop) never waits for the broker. While the broker is unreachable, publishing is retried with a growing delay
/// (up to <see cref="MaxDelay"/>), and the queued events go out once it is back. <see cref="FlushAsync"/> waits until
/// everything queued so far is out.
/// </summary>
public sealed partial class BackgroundPublisher : IAsyncDisposable
{
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    private readonly Channel<Queued> _queue = Channel.CreateUnbounded<Queued>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IPublishEndpoint _publish;
    private readonly TimeSpan _firstDelay;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;

    /// <param name="firstDelay">The wait before the first retry of a failed publish; it doubles up to <see cref="MaxDelay"/>.</param>
    public BackgroundPublisher(IPublishEndpoint publish, ILogger logger, TimeSpan? firstDelay = null)
    {
        _publish = publish;
        _logger = logger;
        _firstDelay = firstDelay ?? TimeSpan.FromMilliseconds(500);
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Queues <paramref name="message"/>; returns at once.</summary>
    public void Enqueue(object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_queue.Writer.TryWrite(new Queued(message, null)))
        {
            throw new InvalidOperationException("the publisher is closed");
        }
    }

    /// <summary>Completes once every message queued before this call is published.</summary>
    public async Task FlushAsync(CancellationToken cancellation)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Queued(null, done)))
        {
            throw new InvalidOperationException("the publisher is closed");
        }
        await done.Task.WaitAsync(cancellation);
    }

    /// <summary>Stops: what is still queued is dropped (a job that ends without <see cref="FlushAsync"/> gave up on it).</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync();
        try
        {
            await _pump;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private async Task PumpAsync()
    {
        await foreach (var item in _queue.Reader.ReadAllAsync(_stop.Token))
        {
            if (item.Message is { } message)
            {
                await PublishUntilSentAsync(message);
            }
            item.Flushed?.TrySetResult();
        }
    }

    private async Task PublishUntilSentAsync(object message)
    {
        var delay = _firstDelay;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await _publish.Publish(message, message.GetType(), _stop.Token);
                return;
            }
            catch (Exception error) when (error is not OperationCanceledException || !_stop.IsCancellationRequested)
            {
                LogRetrying(error, message.GetType().Name, attempt, delay);
                await Task.Delay(delay, _stop.Token);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
            }
        }
    }

    private sealed record Queued(object? Message, TaskCompletionSource? Flushed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {Type} failed (attempt {Attempt}); trying again in {Delay}")]
    partial void LogRetrying(Exception error, string type, int attempt, TimeSpan delay);
}
