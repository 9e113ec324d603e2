using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Messaging;

namespace SemanticMIM.Integration.Tests.Infrastructure;

/// <summary>
/// Every experiment event (and a sweep's end) published while it lives, received on a <see cref="BusClient"/> subscription (a temporary
/// queue, as <c>semanticmim submit --follow</c> uses), with bounded waits for the ones a test needs.
/// </summary>
public sealed class EventRecorder : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    private readonly Lock _gate = new();
    private readonly List<(TimeSpan At, object Message)> _events = [];
    private readonly List<(Func<object, bool> Match, TaskCompletionSource<object> Done)> _waiters = [];
    private readonly List<(Func<object, bool> Match, Action<object> Action)> _hooks = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private EventSubscription? _subscription;

    private EventRecorder()
    {
    }

    public static async Task<EventRecorder> StartAsync(BusClient client, CancellationToken cancellation = default)
    {
        var recorder = new EventRecorder();
        recorder._subscription = await client.SubscribeAsync(events => events
            .On<ExperimentAccepted>(recorder.Add)
            .On<ExperimentRejected>(recorder.Add)
            .On<ShardWritten>(recorder.Add)
            .On<DatasetSharded>(recorder.Add)
            .On<TargetsComputed>(recorder.Add)
            .On<TrainingProgressed>(recorder.Add)
            .On<CheckpointSaved>(recorder.Add)
            .On<PretrainingCompleted>(recorder.Add)
            .On<EvaluationCompleted>(recorder.Add)
            .On<ReportWritten>(recorder.Add)
            .On<ExperimentCompleted>(recorder.Add)
            .On<ExperimentFailed>(recorder.Add)
            .On<ExperimentCancelled>(recorder.Add)
            .On<SweepCompleted>(recorder.Add), cancellation);
        return recorder;
    }

    /// <summary>The events of type <typeparamref name="T"/> of experiment <paramref name="id"/> received so far, in order.</summary>
    public IReadOnlyList<T> Of<T>(Guid id)
    {
        lock (_gate)
        {
            return [.. _events.Select(e => e.Message).OfType<T>().Where(m => ExperimentOf(m!) == id)];
        }
    }

    /// <summary>
    /// The first <typeparamref name="T"/> of experiment <paramref name="id"/> that matches (received before or after
    /// the call). Fails at once when the experiment fails or is rejected instead, and after <paramref name="timeout"/>
    /// with a message naming <paramref name="what"/> and the events seen.
    /// </summary>
    public async Task<T> WaitForAsync<T>(Guid id, string what, TimeSpan timeout, Func<T, bool>? match = null)
        where T : class
    {
        var wanted = Register(m => m is T t && ExperimentOf(t) == id && (match?.Invoke(t) ?? true));
        var ended = typeof(T) == typeof(ExperimentFailed) || typeof(T) == typeof(ExperimentRejected)
            ? new TaskCompletionSource<object>().Task
            : Register(m => m is ExperimentFailed or ExperimentRejected && ExperimentOf(m) == id);
        var timer = Task.Delay(timeout);
        var first = await Task.WhenAny(wanted, ended, timer);
        if (first == wanted)
        {
            return (T)await wanted;
        }
        if (first == ended)
        {
            throw new InvalidOperationException($"while waiting for {what}, experiment {id} ended with {Describe(await ended)}\nevents:\n{Describe(id)}");
        }
        throw new TimeoutException($"{what} did not arrive within {timeout.TotalSeconds:0} s (experiment {id}); events so far:\n{Describe(id)}");
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the receiving thread as soon as the first matching <typeparamref name="T"/> of
    /// <paramref name="id"/> arrives (before any waiter sees it), once: to act "right after" an event, e.g. kill a
    /// service. The task completes when the action has run (faulted if it threw). Register it before the event can come.
    /// </summary>
    public Task OnFirstAsync<T>(Guid id, Action<T> action)
        where T : class
    {
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _hooks.Add((m => m is T t && ExperimentOf(t) == id, m =>
            {
                try
                {
                    action((T)m);
                    ran.TrySetResult();
                }
                catch (Exception error)
                {
                    ran.TrySetException(error);
                }
            }));
        }
        return ran.Task;
    }

    /// <summary>Every event received (of <paramref name="id"/> when given), one line each with its arrival time.</summary>
    public string Describe(Guid? id = null)
    {
        lock (_gate)
        {
            var text = new StringBuilder();
            foreach (var (at, message) in _events.Where(e => id is null || ExperimentOf(e.Message) == id))
            {
                text.Append(CultureInfo.InvariantCulture, $"  +{at.TotalSeconds,7:F2}s {Describe(message)}").AppendLine();
            }
            return text.Length > 0 ? text.ToString() : "  (none)\n";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_subscription is { } subscription)
        {
            await subscription.DisposeAsync();
        }
    }

    public static Guid? ExperimentOf(object message) => message switch
    {
        ExperimentAccepted m => m.ExperimentId,
        ExperimentRejected m => m.ExperimentId,
        ShardWritten m => m.ExperimentId,
        DatasetSharded m => m.ExperimentId,
        TargetsComputed m => m.ExperimentId,
        TrainingProgressed m => m.ExperimentId,
        CheckpointSaved m => m.ExperimentId,
        PretrainingCompleted m => m.ExperimentId,
        EvaluationCompleted m => m.ExperimentId,
        ReportWritten m => m.ExperimentId,
        ExperimentCompleted m => m.ExperimentId,
        ExperimentFailed m => m.ExperimentId,
        ExperimentCancelled m => m.ExperimentId,
        SweepCompleted m => m.SweepId,
        _ => null,
    };

    private static string Describe(object message)
    {
        string json = JsonSerializer.Serialize(message, message.GetType(), Json);
        return $"{message.GetType().Name} {(json.Length > 600 ? json[..600] + "…" : json)}";
    }

    private void Add<T>(T message)
        where T : class
    {
        List<TaskCompletionSource<object>> done;
        List<Action<object>> hooks;
        lock (_gate)
        {
            hooks = [.. _hooks.Where(h => h.Match(message)).Select(h => h.Action)];
            _hooks.RemoveAll(h => h.Match(message));
        }
        foreach (var hook in hooks)
        {
            hook(message);
        }
        lock (_gate)
        {
            _events.Add((_clock.Elapsed, message));
            done = [.. _waiters.Where(w => w.Match(message)).Select(w => w.Done)];
        }
        foreach (var waiter in done)
        {
            waiter.TrySetResult(message);
        }
    }

    private Task<object> Register(Func<object, bool> match)
    {
        var done = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_events.Select(e => e.Message).FirstOrDefault(match) is { } seen)
            {
                done.SetResult(seen);
            }
            else
            {
                _waiters.Add((match, done));
            }
        }
        return done.Task;
    }
}
