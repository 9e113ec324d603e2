using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using SemanticMIM.Platform.Jobs.Kubernetes;

namespace SemanticMIM.Platform.Coordination;

/// <summary>
/// Elects one leader among the replicas that share a <c>coordination.k8s.io/v1</c> Lease (as client-go's leader
/// election does). Every round it reads the Lease; creates it, holding it, when there is none; takes it when it is
/// free (no holder), held by this replica, or expired; and otherwise waits <see cref="LeaderElectionOptions.RetryInterval"/>.
/// The leader renews it every <see cref="LeaderElectionOptions.RenewInterval"/>. Every write is a create or a replace
/// carrying the <c>resourceVersion</c> that was read, so of two replicas racing for the Lease only one can win: the
/// other's write is refused with 409 Conflict, and it goes on waiting.
/// </summary>
/// <remarks>
/// <para>Expiry is judged by this replica's clock, from when it last saw the Lease change (as client-go does), not
/// from the <c>renewTime</c> written by another machine: a skewed clock cannot make a replica take a live Lease.</para>
/// <para>A term of leadership lasts <see cref="LeaderElectionOptions.RenewDeadline"/> from the start of the last
/// successful renewal: the term's token (<see cref="WaitForLeadershipAsync"/>) is cancelled on its own when a renewal
/// is overdue, even while a call to the API hangs, and this happens before the Lease can expire for the others
/// (<see cref="LeaderElectionOptions.LeaseDuration"/> after they saw the renewal). So two replicas never lead at
/// once, as long as their clocks run at the same rate. A replica whose renewal is refused (the Lease changed hands)
/// stops leading at once.</para>
/// <para><see cref="StartedLeading"/> and <see cref="StoppedLeading"/> are raised on the election's loop (or on the
/// deadline's timer); handlers must not block. Work that must stop with the term should use the term's token.</para>
/// </remarks>
public sealed partial class LeaseLeaderElector : ILeadership
{
    const string LeaseApiVersion = "coordination.k8s.io/v1";

    const string StoppedReason = "the election stopped";

    readonly IKubernetes _client;
    readonly LeaderElectionOptions _options;
    readonly ILogger<LeaseLeaderElector> _logger;
    readonly TimeProvider _time;
    readonly ResiliencePipeline _pipeline;
    readonly Lock _lock = new();

    /// <summary>The current term; null while not leading.</summary>
    CancellationTokenSource? _term;

    /// <summary>When the current term ends unless renewed (a <see cref="TimeProvider.GetTimestamp"/> value).</summary>
    long _termDeadline;

    /// <summary>Completed with the next term's token when it starts.</summary>
    TaskCompletionSource<CancellationToken> _nextTerm = NewTermSource();

    string? _observedVersion;
    long _observedAt;
    int _running;

    /// <param name="client">The API client.</param>
    /// <param name="options">Validated here (<see cref="LeaderElectionOptionsValidator"/>): every problem is listed in one
    /// <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>.</param>
    /// <param name="logger">Optional.</param>
    /// <param name="timeProvider">The clock of expiries and deadlines (the system's by default).</param>
    public LeaseLeaderElector(IKubernetes client, LeaderElectionOptions options, ILogger<LeaseLeaderElector>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        new LeaderElectionOptionsValidator().EnsureValid(options);
        _client = client;
        _options = options;
        _logger = logger ?? NullLogger<LeaseLeaderElector>.Instance;
        _time = timeProvider ?? TimeProvider.System;

        // The loop is the retry: a round that fails is tried again RetryInterval later, within the renew deadline.
        _pipeline = new ResiliencePipelineBuilder { Name = "kubernetes-lease", TimeProvider = _time }
            .AddTimeout(options.ApiTimeout)
            .Build();
    }

    /// <summary>Raised when this replica starts leading.</summary>
    public event EventHandler? StartedLeading;

    /// <summary>Raised when this replica stops leading: the Lease was lost, a renewal was overdue, or the election stopped.</summary>
    public event EventHandler? StoppedLeading;

    /// <summary>This replica's name in the Lease.</summary>
    public string Identity => _options.Identity!;

    public LeaderElectionOptions Options => _options;

    /// <summary>
    /// True while this replica leads: until the renew deadline of its last renewal, checked against the clock here
    /// (not only by the term's timer, which a busy thread pool may run late).
    /// </summary>
    public bool IsLeader
    {
        get
        {
            lock (_lock)
            {
                return _term is { IsCancellationRequested: false } && _time.GetTimestamp() < _termDeadline;
            }
        }
    }

    public async Task<CancellationToken> WaitForLeadershipAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task<CancellationToken> next;
            lock (_lock)
            {
                if (_term is { IsCancellationRequested: false } term)
                {
                    return term.Token;
                }

                next = _nextTerm.Task;
            }

            var token = await next.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!token.IsCancellationRequested)
            {
                return token;
            }

            // That term ended while its end was being recorded: wait for the next one.
            await Task.Yield();
        }
    }

    /// <summary>
    /// Takes part in the election until <paramref name="cancellationToken"/> is cancelled; then stops leading and, with
    /// <see cref="LeaderElectionOptions.ReleaseOnStop"/>, gives the Lease up. One run at a time.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            throw new InvalidOperationException("This elector is already running.");
        }

        LogStarting(Identity, _options.Namespace!, _options.LeaseName!);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var started = _time.GetTimestamp();
                Outcome outcome;
                try
                {
                    outcome = await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception error)
                {
                    LogRoundFailed(KubernetesApiErrors.Describe(error), IsLeader);
                    outcome = Outcome.Failed;
                }

                TimeSpan delay;
                switch (outcome)
                {
                    case Outcome.Holding:
                        Lead(started);
                        delay = _options.RenewInterval;
                        break;
                    case Outcome.HeldByAnother:
                        EndTerm(null, "another replica holds the Lease");
                        delay = Jittered(_options.RetryInterval);
                        break;
                    default:
                        // A failed round: a leader keeps leading until its deadline (the term cancels itself) and retries soon.
                        delay = IsLeader ? Min(_options.RetryInterval, _options.RenewInterval) : Jittered(_options.RetryInterval);
                        break;
                }

                try
                {
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
            }
        }
        finally
        {
            var wasLeading = EndTerm(null, StoppedReason);
            if (wasLeading && _options.ReleaseOnStop)
            {
                await ReleaseAsync().ConfigureAwait(false);
            }

            Volatile.Write(ref _running, 0);
        }
    }

    async Task<Outcome> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var name = _options.LeaseName!;
        var ns = _options.Namespace!;
        V1Lease? lease;
        try
        {
            lease = await CallAsync(token => _client.CoordinationV1.ReadNamespacedLeaseAsync(name, ns, cancellationToken: token), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception error) when (KubernetesApiErrors.IsNotFound(error))
        {
            lease = null;
        }

        var now = _time.GetUtcNow().UtcDateTime;
        var durationSeconds = (int)_options.LeaseDuration.TotalSeconds;
        if (lease is null)
        {
            var created = new V1Lease
            {
                ApiVersion = LeaseApiVersion,
                Kind = "Lease",
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
                Spec = new V1LeaseSpec
                {
                    HolderIdentity = Identity,
                    LeaseDurationSeconds = durationSeconds,
                    AcquireTime = now,
                    RenewTime = now,
                    LeaseTransitions = 0,
                },
            };
            try
            {
                Observe(await CallAsync(token => _client.CoordinationV1.CreateNamespacedLeaseAsync(created, ns, cancellationToken: token), cancellationToken)
                    .ConfigureAwait(false));
                return Outcome.Holding;
            }
            catch (Exception error) when (KubernetesApiErrors.IsConflict(error))
            {
                LogLostRace("create");
                return Outcome.HeldByAnother;
            }
        }

        Observe(lease);
        var spec = lease.Spec ??= new V1LeaseSpec();
        var holder = spec.HolderIdentity;
        var ours = string.Equals(holder, Identity, StringComparison.Ordinal);
        if (!ours && !string.IsNullOrEmpty(holder) && !ObservedExpired(spec))
        {
            return Outcome.HeldByAnother;
        }

        if (!ours)
        {
            LogTakingOver(string.IsNullOrEmpty(holder) ? "(nobody)" : holder);
            spec.HolderIdentity = Identity;
            spec.AcquireTime = now;
            spec.LeaseTransitions = (spec.LeaseTransitions ?? 0) + 1;
        }

        spec.RenewTime = now;
        spec.LeaseDurationSeconds = durationSeconds;
        try
        {
            // lease.Metadata.ResourceVersion is the one read: the API refuses the write if anyone wrote in between.
            Observe(await CallAsync(token => _client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, name, ns, cancellationToken: token), cancellationToken)
                .ConfigureAwait(false));
            return Outcome.Holding;
        }
        catch (Exception error) when (KubernetesApiErrors.IsConflict(error))
        {
            LogLostRace("update");
            return Outcome.HeldByAnother;
        }
    }

    /// <summary>Starts a term, or extends the current one to <see cref="LeaderElectionOptions.RenewDeadline"/> after <paramref name="renewalStarted"/>.</summary>
    void Lead(long renewalStarted)
    {
        var remaining = _options.RenewDeadline - _time.GetElapsedTime(renewalStarted);
        if (remaining <= TimeSpan.Zero)
        {
            LogRenewalTooLate();
            return;
        }

        var deadline = renewalStarted + (long)(_options.RenewDeadline.TotalSeconds * _time.TimestampFrequency);
        CancellationTokenSource started;
        lock (_lock)
        {
            if (_term is { IsCancellationRequested: false } current)
            {
                current.CancelAfter(remaining);
                _termDeadline = deadline;
                return;
            }

            started = new CancellationTokenSource(remaining, _time);
            _term = started;
            _termDeadline = deadline;
            _nextTerm.TrySetResult(started.Token);
        }

        LogStartedLeading(Identity, _options.LeaseName!);
        Raise(StartedLeading, nameof(StartedLeading));

        // Runs at once if the deadline already passed.
        started.Token.Register(() => EndTerm(started, "the Lease was not renewed before the renew deadline"));
    }

    /// <summary>Ends the current term (or <paramref name="which"/>, if it is still current); false when there was none.</summary>
    bool EndTerm(CancellationTokenSource? which, string reason)
    {
        CancellationTokenSource ended;
        lock (_lock)
        {
            if (_term is null || (which is not null && !ReferenceEquals(_term, which)))
            {
                return false;
            }

            ended = _term;
            _term = null;
            _nextTerm = NewTermSource();
        }

        ended.Cancel();
        if (ReferenceEquals(reason, StoppedReason))
        {
            LogResigned(Identity);
        }
        else
        {
            LogStoppedLeading(Identity, reason);
        }

        Raise(StoppedLeading, nameof(StoppedLeading));
        return true;
    }

    async Task ReleaseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(_options.ApiTimeout, _time);
            var lease = await _client.CoordinationV1.ReadNamespacedLeaseAsync(_options.LeaseName!, _options.Namespace!, cancellationToken: timeout.Token)
                .ConfigureAwait(false);
            if (lease.Spec is not { } spec || !string.Equals(spec.HolderIdentity, Identity, StringComparison.Ordinal))
            {
                return;
            }

            var now = _time.GetUtcNow().UtcDateTime;
            spec.HolderIdentity = null;
            spec.LeaseDurationSeconds = 1;
            spec.RenewTime = now;
            spec.AcquireTime = now;
            await _client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, _options.LeaseName!, _options.Namespace!, cancellationToken: timeout.Token)
                .ConfigureAwait(false);
            LogReleased(_options.LeaseName!);
        }
        catch (Exception error)
        {
            LogReleaseFailed(KubernetesApiErrors.Describe(error));
        }
    }

    void Observe(V1Lease lease)
    {
        var version = lease.Metadata?.ResourceVersion;
        if (!string.Equals(version, _observedVersion, StringComparison.Ordinal))
        {
            _observedVersion = version;
            _observedAt = _time.GetTimestamp();
        }
    }

    bool ObservedExpired(V1LeaseSpec spec)
    {
        var duration = spec.LeaseDurationSeconds is > 0 ? TimeSpan.FromSeconds(spec.LeaseDurationSeconds.Value) : _options.LeaseDuration;
        return _time.GetElapsedTime(_observedAt) >= duration;
    }

    Task<T> CallAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(async token => await call(token).ConfigureAwait(false), cancellationToken).AsTask();

    void Raise(EventHandler? handler, string name)
    {
        if (handler is null)
        {
            return;
        }

        foreach (var subscriber in handler.GetInvocationList().Cast<EventHandler>())
        {
            try
            {
                subscriber(this, EventArgs.Empty);
            }
            catch (Exception error)
            {
                LogHandlerFailed(error, name);
            }
        }
    }

    static TimeSpan Jittered(TimeSpan interval) => interval * (1 + (0.2 * Random.Shared.NextDouble()));

    static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    static TaskCompletionSource<CancellationToken> NewTermSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    enum Outcome
    {
        Holding,
        HeldByAnother,
        Failed,
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Identity} takes part in the election through Lease {Namespace}/{LeaseName}")]
    partial void LogStarting(string identity, string @namespace, string leaseName);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Identity} leads (Lease {LeaseName})")]
    partial void LogStartedLeading(string identity, string leaseName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Identity} stopped leading: {Reason}")]
    partial void LogStoppedLeading(string identity, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Identity} stopped leading: the host is stopping")]
    partial void LogResigned(string identity);

    [LoggerMessage(Level = LogLevel.Information, Message = "Taking over the Lease from {Holder}")]
    partial void LogTakingOver(string holder);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Another replica wrote the Lease first ({Operation} refused with 409)")]
    partial void LogLostRace(string operation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An election round failed ({Error}); leading: {Leading}")]
    partial void LogRoundFailed(string error, bool leading);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Lease was renewed only after the renew deadline: not leading on it")]
    partial void LogRenewalTooLate();

    [LoggerMessage(Level = LogLevel.Information, Message = "Released Lease {LeaseName}")]
    partial void LogReleased(string leaseName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not release the Lease ({Error}); it expires on its own")]
    partial void LogReleaseFailed(string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "A handler of {Event} failed")]
    partial void LogHandlerFailed(Exception exception, string @event);
}
