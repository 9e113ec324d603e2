using System.Collections.Concurrent;
using System.Diagnostics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;
using SemanticMIM.Platform.Coordination;
using SemanticMIM.Platform.Kubernetes.Tests.Fakes;

namespace SemanticMIM.Platform.Kubernetes.Tests.Coordination;

public sealed class LeaseLeaderElectorTests : IAsyncLifetime
{
    const string Lease = "mim-semanticmim-orchestrator";

    FakeKubernetesApi _api = null!;
    readonly List<IKubernetes> _clients = [];
    readonly List<(LeaseLeaderElector Elector, CancellationTokenSource Stop, Task Run)> _running = [];

    /// <summary>Every start and stop of leadership, in order, with the elector's identity.</summary>
    readonly ConcurrentQueue<(string Identity, bool Started, long At)> _transitions = new();

    public async Task InitializeAsync() => _api = await FakeKubernetesApi.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var (_, stop, run) in _running)
        {
            await stop.CancelAsync();
            await run;
        }

        Assert.Empty(_api.Errors);
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await _api.DisposeAsync();
    }

    /// <summary>Short timings: a 1 s Lease (by default), renewed every 150 ms, given up 800 ms after the last renewal.</summary>
    static LeaderElectionOptions Options(string identity, int leaseSeconds = 1, bool release = true, int renewDeadlineMs = 800) => new()
    {
        LeaseName = Lease,
        Namespace = TestSupport.Namespace,
        Identity = identity,
        LeaseDuration = TimeSpan.FromSeconds(leaseSeconds),
        RenewDeadline = TimeSpan.FromMilliseconds(renewDeadlineMs),
        RenewInterval = TimeSpan.FromMilliseconds(150),
        RetryInterval = TimeSpan.FromMilliseconds(100),
        ApiTimeout = TimeSpan.FromSeconds(2),
        ReleaseOnStop = release,
    };

    LeaseLeaderElector Start(LeaderElectionOptions options)
    {
        var client = _api.CreateClient();
        _clients.Add(client);
        var elector = new LeaseLeaderElector(client, options);
        elector.StartedLeading += (_, _) => _transitions.Enqueue((elector.Identity, true, Stopwatch.GetTimestamp()));
        elector.StoppedLeading += (_, _) => _transitions.Enqueue((elector.Identity, false, Stopwatch.GetTimestamp()));
        var stop = new CancellationTokenSource();
        _running.Add((elector, stop, Task.Run(() => elector.RunAsync(stop.Token))));
        return elector;
    }

    async Task StopAsync(LeaseLeaderElector elector)
    {
        var (_, stop, run) = _running.Single(r => r.Elector == elector);
        await stop.CancelAsync();
        await run;
    }

    /// <summary>Samples every elector for <paramref name="duration"/>: never two leaders at once. Returns how many samples had a leader.</summary>
    static async Task<int> AtMostOneLeaderAsync(IReadOnlyList<LeaseLeaderElector> electors, TimeSpan duration)
    {
        var led = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            var leaders = electors.Where(e => e.IsLeader).Select(e => e.Identity).ToList();
            Assert.True(leaders.Count <= 1, $"two leaders at once: {string.Join(", ", leaders)}");
            led += leaders.Count;
            await Task.Delay(5);
        }

        return led;
    }

    [Fact]
    public async Task Creates_the_lease_and_leads_while_the_other_waits()
    {
        var a = Start(Options("orchestrator-a"));
        Assert.True(await TestSupport.EventuallyAsync(() => a.IsLeader), "a did not lead");
        var created = _api.Requests.First(r => r.Method == "POST");
        Assert.Equal($"/apis/coordination.k8s.io/v1/namespaces/{TestSupport.Namespace}/leases", created.Path);

        var b = Start(Options("orchestrator-b"));
        await AtMostOneLeaderAsync([a, b], TimeSpan.FromSeconds(2)); // twice the lease duration: a renews, b waits
        Assert.False(b.IsLeader);

        var lease = _api.GetLease(TestSupport.Namespace, Lease)!;
        Assert.Equal("orchestrator-a", lease.Spec.HolderIdentity);
        Assert.Equal(1, lease.Spec.LeaseDurationSeconds);
        Assert.Equal(0, lease.Spec.LeaseTransitions);
        Assert.True(_api.LeaseWrites.Count >= 8, $"a renewed only {_api.LeaseWrites.Count} times");
        Assert.All(_api.LeaseWrites, w => Assert.Equal("orchestrator-a", w.Holder));
        Assert.All(_transitions, t => Assert.Equal("orchestrator-a", t.Identity)); // b never led
    }

    [Fact]
    public async Task When_the_holder_stops_renewing_the_other_takes_over_after_expiry()
    {
        var a = Start(Options("orchestrator-a", release: false)); // stops like a crashed pod: the Lease is left to expire
        Assert.True(await TestSupport.EventuallyAsync(() => a.IsLeader), "a did not lead");
        var b = Start(Options("orchestrator-b"));
        await Task.Delay(300);
        Assert.False(b.IsLeader);

        await StopAsync(a);
        Assert.False(a.IsLeader);

        Assert.True(await TestSupport.EventuallyAsync(() => b.IsLeader), "b did not take over");
        // As the server saw it: b could only see a's last renewal after it was written, and then waits a lease duration.
        var writes = _api.LeaseWrites;
        var lastOfA = writes.Last(w => w.Holder == "orchestrator-a");
        var firstOfB = writes.First(w => w.Holder == "orchestrator-b");
        var waited = Stopwatch.GetElapsedTime(lastOfA.At, firstOfB.At);
        Assert.True(waited >= TimeSpan.FromMilliseconds(950), $"b took the Lease {waited.TotalMilliseconds:F0} ms after a's last renewal, before it expired");
        var lease = _api.GetLease(TestSupport.Namespace, Lease)!;
        Assert.Equal("orchestrator-b", lease.Spec.HolderIdentity);
        Assert.Equal(1, lease.Spec.LeaseTransitions);
        var lastStopOfA = _transitions.Last(t => t.Identity == "orchestrator-a");
        var startOfB = Assert.Single(_transitions, t => t.Identity == "orchestrator-b");
        Assert.False(lastStopOfA.Started);
        Assert.True(startOfB.Started && startOfB.At > lastStopOfA.At, "b started leading before a stopped");
    }

    [Fact]
    public async Task A_holder_that_stops_gives_the_lease_up_and_the_other_takes_it_at_once()
    {
        var a = Start(Options("orchestrator-a", leaseSeconds: 3));
        Assert.True(await TestSupport.EventuallyAsync(() => a.IsLeader), "a did not lead");
        var b = Start(Options("orchestrator-b", leaseSeconds: 3));
        await Task.Delay(300);

        await StopAsync(a);
        var released = Stopwatch.GetTimestamp();

        Assert.True(await TestSupport.EventuallyAsync(() => b.IsLeader), "b did not take over");
        var waited = Stopwatch.GetElapsedTime(released);
        Assert.True(waited < TimeSpan.FromSeconds(2), $"b waited {waited.TotalMilliseconds:F0} ms for a released 3 s Lease");
        Assert.Contains(_api.LeaseWrites, w => w.Holder is null);
        Assert.Equal("orchestrator-b", _api.GetLease(TestSupport.Namespace, Lease)!.Spec.HolderIdentity);
    }

    [Fact]
    public async Task Racing_electors_never_lead_together_and_the_losers_writes_are_refused()
    {
        // A Lease left by a crashed holder: everyone waits for it to expire, then all try to take it at once.
        _api.PutLease(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = Lease, NamespaceProperty = TestSupport.Namespace },
            Spec = new V1LeaseSpec
            {
                HolderIdentity = "orchestrator-gone",
                LeaseDurationSeconds = 1,
                AcquireTime = DateTime.UtcNow.AddMinutes(-5),
                RenewTime = DateTime.UtcNow.AddMinutes(-5),
                LeaseTransitions = 4,
            },
        });
        _api.LeaseWriteDelay = TimeSpan.FromMilliseconds(150); // every write is held a while, so that the takeovers overlap
        var electors = Enumerable.Range(0, 3).Select(i => Start(Options($"orchestrator-{i}", release: false))).ToList();

        var led = await AtMostOneLeaderAsync(electors, TimeSpan.FromSeconds(3));

        Assert.True(led > 0, "nobody led");
        Assert.True(await TestSupport.EventuallyAsync(() => electors.Count(e => e.IsLeader) == 1), "no single leader");
        var leader = electors.Single(e => e.IsLeader);
        Assert.True(_api.LeaseConflicts >= 1, "no write was refused: the electors did not race");
        var holders = _api.LeaseWrites.Select(w => w.Holder).Distinct().ToList();
        Assert.Equal(["orchestrator-gone", leader.Identity], holders); // the Lease changed hands once
        Assert.Equal(5, _api.GetLease(TestSupport.Namespace, Lease)!.Spec.LeaseTransitions);
        Assert.All(_transitions, t => Assert.Equal(leader.Identity, t.Identity)); // nobody else ever led

        // The leader crashes: the other two race again, and again one wins.
        var others = electors.Where(e => e != leader).ToList();
        await StopAsync(leader);
        led = await AtMostOneLeaderAsync(electors, TimeSpan.FromSeconds(2.5));
        Assert.True(led > 0, "nobody took over");
        Assert.True(await TestSupport.EventuallyAsync(() => others.Count(e => e.IsLeader) == 1), "no single leader after the crash");
        var next = others.Single(e => e.IsLeader);
        Assert.Equal(next.Identity, _api.GetLease(TestSupport.Namespace, Lease)!.Spec.HolderIdentity);
        Assert.Equal(6, _api.GetLease(TestSupport.Namespace, Lease)!.Spec.LeaseTransitions);
    }

    [Fact]
    public async Task A_leader_that_cannot_renew_stops_leading_before_the_lease_expires()
    {
        // A 3 s Lease given up 1 s after the last renewal: the margins hold on a busy machine.
        var a = Start(Options("orchestrator-a", leaseSeconds: 3, renewDeadlineMs: 1000));
        Assert.True(await TestSupport.EventuallyAsync(() => a.IsLeader), "a did not lead");
        var term = await a.WaitForLeadershipAsync(CancellationToken.None);
        var stopped = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        term.Register(() => stopped.TrySetResult(Stopwatch.GetTimestamp()));

        _api.FailNext(1000, 503, pathContains: "/leases/");
        var failing = Stopwatch.GetTimestamp();

        var at = await stopped.Task.WaitAsync(TestSupport.Timeout);
        Assert.False(a.IsLeader);
        // The last renewal started at most one renew interval before the failures: the term ends within the renew
        // deadline (1 s) of it, before the 3 s Lease could expire for anyone else.
        var lasted = Stopwatch.GetElapsedTime(failing, at);
        Assert.True(lasted < TimeSpan.FromMilliseconds(2500), $"a led {lasted.TotalMilliseconds:F0} ms after its renewals began to fail");

        _api.ClearFaults(); // the Lease still names a: it leads again at the next round
        Assert.True(await TestSupport.EventuallyAsync(() => a.IsLeader), "a did not lead again");
        var again = await a.WaitForLeadershipAsync(CancellationToken.None);
        Assert.NotEqual(term, again);
        Assert.Equal([true, false, true], _transitions.Select(t => t.Started).Take(3));
    }

    [Fact]
    public void An_elector_refuses_options_with_every_problem_listed()
    {
        var options = new LeaderElectionOptions
        {
            LeaseName = "Not A Name",
            Namespace = "",
            Identity = " ",
            LeaseDuration = TimeSpan.FromMilliseconds(1500),
            RenewDeadline = TimeSpan.FromSeconds(20),
            RenewInterval = TimeSpan.Zero,
            RetryInterval = TimeSpan.Zero,
        };

        var client = _api.CreateClient();
        _clients.Add(client);

        var error = Assert.Throws<OptionsValidationException>(() => new LeaseLeaderElector(client, options));

        // Options given as an instance get no defaults: the Identity the configuration path would fill in is a problem here.
        Assert.Equal(7, error.Failures.Count());
        foreach (var key in new[] { "LeaseName", "Namespace", "Identity", "LeaseDuration", "RenewDeadline", "RenewInterval", "RetryInterval" })
        {
            Assert.Contains(error.Failures, p => p.StartsWith($"LeaderElection:{key} ", StringComparison.Ordinal));
        }
    }
}
