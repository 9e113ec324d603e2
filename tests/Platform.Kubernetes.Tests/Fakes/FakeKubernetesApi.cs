using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SemanticMIM.Platform.Kubernetes.Tests.Fakes;

/// <summary>A Lease write the fake API accepted.</summary>
public sealed record LeaseWrite(long Version, string? Holder, long At);

/// <summary>One request the fake API received.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, string Body)
{
    /// <summary>The decoded value of a query parameter, or null.</summary>
    public string? QueryValue(string name) =>
        QueryHelpers(Query).TryGetValue(name, out var value) ? value : null;

    public bool IsWatch => QueryValue("watch") == "true";

    static Dictionary<string, string> QueryHelpers(string query) =>
        query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Split('=', 2))
            .GroupBy(kv => Uri.UnescapeDataString(kv[0]))
            .ToDictionary(g => g.Key, g => Uri.UnescapeDataString(g.Last().ElementAtOrDefault(1) ?? ""));

    public override string ToString() => $"{Method} {Path}{Query}";
}

/// <summary>
/// A local stand-in for the Kubernetes API server (Kestrel on 127.0.0.1, a free port) with just what the launcher,
/// the watcher and the elector use: batch/v1 Jobs (create, get, delete, list, watch) and coordination.k8s.io/v1
/// Leases (get, create, replace with <c>resourceVersion</c> checks). One <c>resourceVersion</c> counter for all objects,
/// as etcd has. It records every request, and can be told to fail or delay the next requests, drop its watch
/// connections, or compact its history (so that watching from an older version answers 410 Gone).
/// </summary>
public sealed class FakeKubernetesApi : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly Lock _lock = new();
    readonly ConcurrentQueue<RecordedRequest> _requests = new();
    readonly List<Fault> _faults = [];
    readonly Dictionary<(string Ns, string Name), string> _jobs = new();
    readonly Dictionary<(string Ns, string Name), string> _leases = new();
    readonly List<(long Version, string Ns, string Line, IDictionary<string, string>? Labels)> _events = [];
    readonly List<Watch> _watches = [];
    readonly List<LeaseWrite> _leaseWrites = [];
    long _version = 100;
    long _compactedBefore;
    int _leaseConflicts;

    FakeKubernetesApi(WebApplication app)
    {
        _app = app;
    }

    public string Url { get; private set; } = "";

    /// <summary>How long every lease write waits before it is checked and applied (to widen races).</summary>
    public TimeSpan LeaseWriteDelay { get; set; }

    /// <summary>Lease writes refused because of a stale <c>resourceVersion</c> (or a create of an existing Lease).</summary>
    public int LeaseConflicts => Volatile.Read(ref _leaseConflicts);

    /// <summary>Every accepted Lease write: its new version, its holder, and when it was applied (a Stopwatch timestamp).</summary>
    public IReadOnlyList<LeaseWrite> LeaseWrites
    {
        get
        {
            lock (_lock)
            {
                return _leaseWrites.ToList();
            }
        }
    }

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToList();

    public int ActiveWatches
    {
        get
        {
            lock (_lock)
            {
                return _watches.Count;
            }
        }
    }

    public long CurrentVersion
    {
        get
        {
            lock (_lock)
            {
                return _version;
            }
        }
    }

    public static async Task<FakeKubernetesApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var fake = new FakeKubernetesApi(app);
        app.Run(fake.HandleSafelyAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.Url = address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal);
        return fake;
    }

    /// <summary>A client of this fake, as the platform creates one: <c>new Kubernetes(new KubernetesClientConfiguration { Host = … })</c>.</summary>
    public IKubernetes CreateClient() => new k8s.Kubernetes(new KubernetesClientConfiguration { Host = Url });

    public void ClearRequests() => _requests.Clear();

    /// <summary>The next <paramref name="count"/> requests that match answer <paramref name="status"/> (after <paramref name="delay"/>); status 0 only delays.</summary>
    public void FailNext(int count, int status, string? method = null, string? pathContains = null, TimeSpan delay = default)
    {
        lock (_lock)
        {
            _faults.Add(new Fault(method, pathContains, status, delay) { Remaining = count });
        }
    }

    public void ClearFaults()
    {
        lock (_lock)
        {
            _faults.Clear();
        }
    }

    public V1Job? GetJob(string ns, string name)
    {
        lock (_lock)
        {
            return _jobs.TryGetValue((ns, name), out var json) ? KubernetesJson.Deserialize<V1Job>(json) : null;
        }
    }

    public int JobCount
    {
        get
        {
            lock (_lock)
            {
                return _jobs.Count;
            }
        }
    }

    /// <summary>Stores a Job as if created (a new uid and version); watchers see ADDED.</summary>
    public V1Job PutJob(V1Job job)
    {
        lock (_lock)
        {
            var ns = job.Metadata.NamespaceProperty ?? "default";
            job.Metadata.NamespaceProperty = ns;
            job.Metadata.Uid = Guid.NewGuid().ToString();
            job.Metadata.CreationTimestamp = DateTime.UtcNow;
            job.Status ??= new V1JobStatus();
            return StoreJob(ns, job, WatchEventType.Added);
        }
    }

    /// <summary>Marks the Job <c>Complete</c>; watchers see MODIFIED.</summary>
    public void CompleteJob(string ns, string name) =>
        UpdateJobStatus(ns, name, status =>
        {
            status.Succeeded = 1;
            status.CompletionTime = DateTime.UtcNow;
            status.Conditions = [new V1JobCondition { Type = "SuccessCriteriaMet", Status = "True" }, new V1JobCondition { Type = "Complete", Status = "True" }];
        });

    /// <summary>Marks the Job <c>Failed</c> with that reason and message; watchers see MODIFIED.</summary>
    public void FailJob(string ns, string name, string? reason, string? message) =>
        UpdateJobStatus(ns, name, status =>
        {
            status.Failed = 1;
            status.Conditions =
            [
                new V1JobCondition { Type = "FailureTarget", Status = "True", Reason = reason, Message = message },
                new V1JobCondition { Type = "Failed", Status = "True", Reason = reason, Message = message },
            ];
        });

    /// <summary>Marks the Job running (one active pod); watchers see MODIFIED.</summary>
    public void StartJob(string ns, string name) => UpdateJobStatus(ns, name, status => status.Active = 1);

    /// <summary>
    /// Admits a suspended Job as Kueue and the Job controller do: <c>spec.suspend</c> false, <c>status.startTime</c> reset to
    /// <paramref name="at"/> (UTC), one active pod, the <c>Suspended</c> condition false; watchers see MODIFIED.
    /// </summary>
    public void AdmitJob(string ns, string name, DateTime at) =>
        UpdateJob(ns, name, job =>
        {
            job.Spec.Suspend = false;
            job.Status.StartTime = at;
            job.Status.Active = 1;
            job.Status.Conditions = [new V1JobCondition { Type = "Suspended", Status = "False", Reason = "JobResumed" }];
        });

    /// <summary>Suspends the Job again, as Kueue does when it preempts it (its pods are deleted); watchers see MODIFIED.</summary>
    public void PreemptJob(string ns, string name) =>
        UpdateJob(ns, name, job =>
        {
            job.Spec.Suspend = true;
            job.Status.Active = 0;
            job.Status.Conditions = [new V1JobCondition { Type = "Suspended", Status = "True", Reason = "JobSuspended" }];
        });

    public void UpdateJobStatus(string ns, string name, Action<V1JobStatus> update) => UpdateJob(ns, name, job => update(job.Status));

    /// <summary>Changes the stored Job (its status is never null here); watchers see MODIFIED.</summary>
    public void UpdateJob(string ns, string name, Action<V1Job> update)
    {
        lock (_lock)
        {
            var job = KubernetesJson.Deserialize<V1Job>(_jobs[(ns, name)]);
            job.Status ??= new V1JobStatus();
            update(job);
            StoreJob(ns, job, WatchEventType.Modified);
        }
    }

    public V1Lease? GetLease(string ns, string name)
    {
        lock (_lock)
        {
            return _leases.TryGetValue((ns, name), out var json) ? KubernetesJson.Deserialize<V1Lease>(json) : null;
        }
    }

    /// <summary>Stores a Lease as if created.</summary>
    public V1Lease PutLease(V1Lease lease)
    {
        lock (_lock)
        {
            var ns = lease.Metadata.NamespaceProperty ?? "default";
            lease.Metadata.NamespaceProperty = ns;
            lease.Metadata.ResourceVersion = (++_version).ToString(CultureInfo.InvariantCulture);
            _leases[(ns, lease.Metadata.Name)] = KubernetesJson.Serialize(lease);
            _leaseWrites.Add(new LeaseWrite(_version, lease.Spec?.HolderIdentity, System.Diagnostics.Stopwatch.GetTimestamp()));
            return lease;
        }
    }

    /// <summary>Aborts every open watch connection, as a network failure would; with <paramref name="compact"/>, older versions are gone first.</summary>
    public void DropWatches(bool compact = false)
    {
        List<Watch> dropped;
        lock (_lock)
        {
            if (compact)
            {
                CompactLocked();
            }

            dropped = _watches.ToList();
            _watches.Clear();
        }

        foreach (var watch in dropped)
        {
            watch.Lines.Writer.TryComplete();
            try
            {
                watch.Context.Abort();
            }
            catch (ObjectDisposedException)
            {
                // That request has just ended on its own.
            }
        }
    }

    /// <summary>Compacts the history (every version up to now is gone): each open watch gets an ERROR 410 event and ends.</summary>
    public void ExpireWatches()
    {
        lock (_lock)
        {
            CompactLocked();
            foreach (var watch in _watches)
            {
                watch.Lines.Writer.TryWrite(GoneEvent(watch.From));
                watch.Lines.Writer.TryComplete();
            }

            _watches.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        DropWatches();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    void CompactLocked()
    {
        _version++;
        _compactedBefore = _version;
        _events.Clear();
    }

    V1Job StoreJob(string ns, V1Job job, WatchEventType type)
    {
        job.Metadata.ResourceVersion = (++_version).ToString(CultureInfo.InvariantCulture);
        var json = KubernetesJson.Serialize(job);
        if (type == WatchEventType.Deleted)
        {
            _jobs.Remove((ns, job.Metadata.Name));
        }
        else
        {
            _jobs[(ns, job.Metadata.Name)] = json;
        }

        var line = $"{{\"type\":\"{EventName(type)}\",\"object\":{json}}}";
        _events.Add((_version, ns, line, job.Metadata.Labels));
        foreach (var watch in _watches.Where(w => w.Namespace == ns && Matches(w.Selector, job.Metadata.Labels)))
        {
            watch.Lines.Writer.TryWrite(line);
        }

        return job;
    }

    /// <summary>Errors of the fake itself (a test that meets a 500 with an empty body finds the cause here).</summary>
    public ConcurrentQueue<Exception> Errors { get; } = new();

    async Task HandleSafelyAsync(HttpContext context)
    {
        try
        {
            await HandleAsync(context);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            Errors.Enqueue(error);
            if (!context.Response.HasStarted)
            {
                await WriteStatusAsync(context, 500, "FakeError", error.ToString());
            }
        }
    }

    async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body))
        {
            body = await reader.ReadToEndAsync();
        }

        var recorded = new RecordedRequest(request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "", body);
        _requests.Enqueue(recorded);

        Fault? fault;
        lock (_lock)
        {
            fault = _faults.FirstOrDefault(f => f.Remaining > 0 && f.Matches(recorded));
            if (fault is not null)
            {
                fault.Remaining--;
            }
        }

        if (fault is not null)
        {
            if (fault.Delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(fault.Delay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            if (fault.Status != 0)
            {
                await WriteStatusAsync(context, fault.Status, "InternalError", $"injected {fault.Status}");
                return;
            }
        }

        var segments = recorded.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        // apis/<group>/<version>/namespaces/<ns>/<resource>[/<name>]
        if (segments.Length is < 6 or > 7 || segments[0] != "apis" || segments[3] != "namespaces")
        {
            await WriteStatusAsync(context, 404, "NotFound", $"no route {recorded}");
            return;
        }

        var group = $"{segments[1]}/{segments[2]}";
        var ns = segments[4];
        var resource = segments[5];
        var name = segments.Length == 7 ? segments[6] : null;
        switch (group, resource)
        {
            case ("batch/v1", "jobs"):
                await HandleJobsAsync(context, recorded, ns, name);
                break;
            case ("coordination.k8s.io/v1", "leases"):
                await HandleLeasesAsync(context, recorded, ns, name);
                break;
            default:
                await WriteStatusAsync(context, 404, "NotFound", $"no route {recorded}");
                break;
        }
    }

    async Task HandleJobsAsync(HttpContext context, RecordedRequest request, string ns, string? name)
    {
        switch (request.Method, name)
        {
            case ("POST", null):
            {
                var job = KubernetesJson.Deserialize<V1Job>(request.Body);
                string json;
                lock (_lock)
                {
                    if (_jobs.ContainsKey((ns, job.Metadata.Name)))
                    {
                        json = "";
                    }
                    else
                    {
                        job.Metadata.NamespaceProperty = ns;
                        job.Metadata.Uid = Guid.NewGuid().ToString();
                        job.Metadata.CreationTimestamp = DateTime.UtcNow;
                        job.Status = new V1JobStatus();
                        json = KubernetesJson.Serialize(StoreJob(ns, job, WatchEventType.Added));
                    }
                }

                if (json.Length == 0)
                {
                    await WriteStatusAsync(context, 409, "AlreadyExists", $"jobs.batch \"{job.Metadata.Name}\" already exists");
                }
                else
                {
                    await WriteJsonAsync(context, 201, json);
                }

                return;
            }
            case ("GET", not null):
            {
                string? json;
                lock (_lock)
                {
                    _jobs.TryGetValue((ns, name), out json);
                }

                await (json is null
                    ? WriteStatusAsync(context, 404, "NotFound", $"jobs.batch \"{name}\" not found")
                    : WriteJsonAsync(context, 200, json));
                return;
            }
            case ("DELETE", not null):
            {
                string? uid = null;
                lock (_lock)
                {
                    if (_jobs.TryGetValue((ns, name), out var json))
                    {
                        var job = KubernetesJson.Deserialize<V1Job>(json);
                        uid = job.Metadata.Uid;
                        StoreJob(ns, job, WatchEventType.Deleted);
                    }
                }

                await (uid is null
                    ? WriteStatusAsync(context, 404, "NotFound", $"jobs.batch \"{name}\" not found")
                    : WriteJsonAsync(context, 200, StatusJson(200, "", "", new JsonObject
                    {
                        ["name"] = name,
                        ["group"] = "batch",
                        ["kind"] = "jobs",
                        ["uid"] = uid,
                    })));
                return;
            }
            case ("GET", null) when request.IsWatch:
                await WatchJobsAsync(context, request, ns);
                return;
            case ("GET", null):
            {
                string json;
                lock (_lock)
                {
                    var selector = request.QueryValue("labelSelector");
                    var items = _jobs.Where(kv => kv.Key.Ns == ns).Select(kv => KubernetesJson.Deserialize<V1Job>(kv.Value))
                        .Where(job => Matches(selector, job.Metadata.Labels)).ToList();
                    json = KubernetesJson.Serialize(new V1JobList
                    {
                        ApiVersion = "batch/v1",
                        Kind = "JobList",
                        Metadata = new V1ListMeta { ResourceVersion = _version.ToString(CultureInfo.InvariantCulture) },
                        Items = items,
                    });
                }

                await WriteJsonAsync(context, 200, json);
                return;
            }
            default:
                await WriteStatusAsync(context, 405, "MethodNotAllowed", $"{request} is not supported by the fake");
                return;
        }
    }

    async Task WatchJobsAsync(HttpContext context, RecordedRequest request, string ns)
    {
        var selector = request.QueryValue("labelSelector");
        var from = long.TryParse(request.QueryValue("resourceVersion"), NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : -1;
        var watch = new Watch(context, ns, selector) { From = from };
        lock (_lock)
        {
            if (from < 0)
            {
                watch.From = _version;
            }
            else if (from < _compactedBefore)
            {
                watch.Lines.Writer.TryWrite(GoneEvent(from));
                watch.Lines.Writer.TryComplete();
            }
            else
            {
                foreach (var (eventVersion, eventNs, line, labels) in _events)
                {
                    if (eventVersion > from && eventNs == ns && Matches(selector, labels))
                    {
                        watch.Lines.Writer.TryWrite(line);
                    }
                }
            }

            if (!watch.Lines.Reader.Completion.IsCompleted)
            {
                _watches.Add(watch);
            }
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        try
        {
            await context.Response.StartAsync(context.RequestAborted);
            await foreach (var line in watch.Lines.Reader.ReadAllAsync(context.RequestAborted))
            {
                await context.Response.WriteAsync(line + "\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (Exception error) when (error is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client went away, or the connection was aborted on purpose.
        }
        finally
        {
            lock (_lock)
            {
                _watches.Remove(watch);
            }
        }
    }

    async Task HandleLeasesAsync(HttpContext context, RecordedRequest request, string ns, string? name)
    {
        if (request.Method is "POST" or "PUT" && LeaseWriteDelay > TimeSpan.Zero)
        {
            await Task.Delay(LeaseWriteDelay);
        }

        switch (request.Method, name)
        {
            case ("GET", not null):
            {
                string? json;
                lock (_lock)
                {
                    _leases.TryGetValue((ns, name), out json);
                }

                await (json is null
                    ? WriteStatusAsync(context, 404, "NotFound", $"leases.coordination.k8s.io \"{name}\" not found")
                    : WriteJsonAsync(context, 200, json));
                return;
            }
            case ("POST", null):
            {
                var lease = KubernetesJson.Deserialize<V1Lease>(request.Body);
                string? json = null;
                lock (_lock)
                {
                    if (!_leases.ContainsKey((ns, lease.Metadata.Name)))
                    {
                        lease.Metadata.NamespaceProperty = ns;
                        lease.Metadata.Uid = Guid.NewGuid().ToString();
                        json = KubernetesJson.Serialize(PutLease(lease));
                    }
                    else
                    {
                        _leaseConflicts++;
                    }
                }

                await (json is null
                    ? WriteStatusAsync(context, 409, "AlreadyExists", $"leases.coordination.k8s.io \"{lease.Metadata.Name}\" already exists")
                    : WriteJsonAsync(context, 201, json));
                return;
            }
            case ("PUT", not null):
            {
                var lease = KubernetesJson.Deserialize<V1Lease>(request.Body);
                string? json = null;
                var status = 200;
                lock (_lock)
                {
                    if (!_leases.TryGetValue((ns, name), out var stored))
                    {
                        status = 404;
                    }
                    else if (KubernetesJson.Deserialize<V1Lease>(stored).Metadata.ResourceVersion != lease.Metadata.ResourceVersion)
                    {
                        status = 409;
                        _leaseConflicts++;
                    }
                    else
                    {
                        lease.Metadata.NamespaceProperty = ns;
                        json = KubernetesJson.Serialize(PutLease(lease));
                    }
                }

                await (status switch
                {
                    404 => WriteStatusAsync(context, 404, "NotFound", $"leases.coordination.k8s.io \"{name}\" not found"),
                    409 => WriteStatusAsync(context, 409, "Conflict",
                        $"Operation cannot be fulfilled on leases.coordination.k8s.io \"{name}\": the object has been modified; please apply your changes to the latest version and try again"),
                    _ => WriteJsonAsync(context, 200, json!),
                });
                return;
            }
            default:
                await WriteStatusAsync(context, 405, "MethodNotAllowed", $"{request} is not supported by the fake");
                return;
        }
    }

    static bool Matches(string? selector, IDictionary<string, string>? labels)
    {
        if (string.IsNullOrEmpty(selector))
        {
            return true;
        }

        foreach (var requirement in selector.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = requirement.Split('=', 2);
            if (labels is null || !labels.TryGetValue(parts[0], out var value) || (parts.Length == 2 && value != parts[1]))
            {
                return false;
            }
        }

        return true;
    }

    static string GoneEvent(long version) =>
        "{\"type\":\"ERROR\",\"object\":" + StatusJson(410, "Expired", $"too old resource version: {version}") + "}";

    /// <summary>A <c>v1 Status</c> (written by hand: KubernetesClient's converter of V1Status only reads).</summary>
    static string StatusJson(int code, string reason, string message, JsonObject? details = null) => new JsonObject
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = code < 400 ? "Success" : "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["details"] = details,
        ["code"] = code,
    }.ToJsonString();

    static string EventName(WatchEventType type) => type switch
    {
        WatchEventType.Added => "ADDED",
        WatchEventType.Modified => "MODIFIED",
        WatchEventType.Deleted => "DELETED",
        WatchEventType.Bookmark => "BOOKMARK",
        _ => "ERROR",
    };

    static Task WriteStatusAsync(HttpContext context, int code, string reason, string message) =>
        WriteJsonAsync(context, code, StatusJson(code, reason, message));

    static async Task WriteJsonAsync(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json);
    }

    sealed class Watch(HttpContext context, string ns, string? selector)
    {
        public HttpContext Context => context;

        public string Namespace => ns;

        public string? Selector => selector;

        public long From { get; set; }

        public Channel<string> Lines { get; } = Channel.CreateUnbounded<string>();
    }

    sealed class Fault(string? method, string? pathContains, int status, TimeSpan delay)
    {
        public int Remaining { get; set; }

        public int Status => status;

        public TimeSpan Delay => delay;

        public bool Matches(RecordedRequest request) =>
            (method is null || request.Method == method) && (pathContains is null || request.Path.Contains(pathContains, StringComparison.Ordinal));
    }
}
