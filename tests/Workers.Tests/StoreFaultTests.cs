using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;
using Xunit.Abstractions;

namespace SemanticMIM.Workers.Tests;

/// <summary>
/// The store-faults case of the reliability suite: the same experiment run against the real S3 server directly
/// and through <see cref="FaultyS3Proxy"/>, which fails a seeded 10% of requests, writes the same objects.
/// </summary>
[Collection(S3rverCollection.Name)]
public sealed class StoreFaultTests(S3rverFixture s3, ITestOutputHelper output)
{
    private const int Seed = 13;
    private const double FaultRate = 0.1;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    /// <summary>
    /// The JSON properties (in any case) that hold measurements rather than results: the training log's throughput, the
    /// time a target file took to compute, and the orchestrator record's time of its last save. Every other value must match exactly.
    /// </summary>
    private static readonly string[] Measured = ["ImagesPerSecond", "Seconds", "Updated"];

    [Fact]
    public async Task An_experiment_on_a_store_failing_a_tenth_of_its_requests_writes_what_a_fault_free_run_writes()
    {
        // Smaller shards than the other tests' spec: more objects to read, so more answers to break mid-body.
        string yaml = TinySpecYaml.FashionMnist("store-faults").Replace("shardSize: 32", "shardSize: 16", StringComparison.Ordinal);
        // One id for both runs, so that the orchestrator's records have the same key.
        var id = Guid.NewGuid();
        string directBucket = S3rverFixture.UniqueBucket();
        string faultyBucket = S3rverFixture.UniqueBucket();

        var clock = Stopwatch.StartNew();
        await RunAsync(yaml, id, s3.Endpoint, directBucket, proxy: null);
        var directTime = clock.Elapsed;
        await using var proxy = new FaultyS3Proxy(new Uri(s3.Endpoint), Seed, FaultRate);
        clock.Restart();
        await RunAsync(yaml, id, proxy.Endpoint, faultyBucket, proxy);
        var faultyTime = clock.Elapsed;
        var expected = await ObjectsAsync(directBucket);
        var actual = await ObjectsAsync(faultyBucket);

        output.WriteLine($"fault-free run {directTime.TotalSeconds:F1} s; through the proxy {faultyTime.TotalSeconds:F1} s: {proxy}");
        output.WriteLine($"compared {expected.Count} objects, {expected.Values.Sum(v => (long)v.Length)} bytes:");
        foreach (var (key, bytes) in expected)
        {
            output.WriteLine($"  {key} ({bytes.Length} bytes)");
        }
        var differences = Differences(expected, actual);
        Assert.True(differences.Count == 0, "the faulty run wrote other objects:\n" + string.Join('\n', differences));
        Assert.All(proxy.Faults, fault => Assert.True(fault.Value > 0, $"no {fault.Key} was injected: {proxy}"));
        Assert.InRange(proxy.TotalFaults, proxy.Requests / 20, proxy.Requests / 5);
        foreach (string kind in new[] { "/shard-000000.tar", "/shard-000000.targets", "/manifest.json", "/model.safetensors", "/optimizer.bin", "/encoder.safetensors", "/results.json" })
        {
            Assert.Contains(expected.Keys, key => key.EndsWith(kind, StringComparison.Ordinal));
        }
        // The comparison sees one changed byte of a binary object, and one changed digit of a metric.
        string encoder = StoreLayout.PretrainingEncoder(ExperimentPlan.From(SpecReader.Read(yaml)).PretrainingId);
        Assert.Equal([encoder], Keys(Differences(expected, Changed(actual, encoder, FlipMiddleByte))));
        Assert.Equal(["experiments/store-faults/results.json"], Keys(Differences(expected, Changed(actual, "experiments/store-faults/results.json", ChangeFirstMetricDigit))));
    }

    /// <summary>Runs <paramref name="yaml"/> to its end in an embedded platform of its own whose store is the bucket.</summary>
    private async Task RunAsync(string yaml, Guid id, string endpoint, string bucket, FaultyS3Proxy? proxy)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Retry:Intervals:0"] = "00:00:00.050",
            ["Storage:Kind"] = ObjectStoreOptions.S3Kind,
            ["Storage:Endpoint"] = endpoint,
            ["Storage:AccessKey"] = S3rverFixture.AccessKey,
            ["Storage:SecretKey"] = S3rverFixture.SecretKey,
            ["Storage:Bucket"] = bucket,
        };
        if (proxy is not null)
        {
            // Short waits, so that a stalled body costs two seconds and a stalled listing five, and retries to outlast bad luck.
            settings["Storage:Resilience:MaxRetryAttempts"] = "10";
            settings["Storage:Resilience:BaseDelay"] = "00:00:00.020";
            settings["Storage:Resilience:MaxDelay"] = "00:00:00.200";
            settings["Storage:Resilience:AttemptTimeout"] = "00:00:05";
            settings["Storage:Resilience:ReadIdleTimeout"] = "00:00:02";
            settings["Storage:Resilience:MaxReadResumes"] = "10";
            // With the default 8, four failed attempts among a window's first eight (1 run in 15 at this rate) open the
            // circuit for 15 s: survived, through the orchestrator's recovery, but slow; this case is about the faults.
            settings["Storage:Resilience:MinimumThroughput"] = "40";
        }
        await using var recorded = await RecordedPipeline.StartAsync(settings);
        var follower = new ExperimentFollower(id, ExperimentPlan.From(SpecReader.Read(yaml)));
        var events = new List<string>();
        using var subscription = recorded.Pipeline.Events.Subscribe(message =>
        {
            lock (events)
            {
                events.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {message}");
            }
        });
        ExperimentEnd end;
        try
        {
            end = await recorded.Pipeline.RunAsync(new StartExperiment { ExperimentId = follower.ExperimentId, SpecYaml = yaml }, follower)
                .WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            // What the run was waiting for: its last events, and the store's requests under way and just done.
            lock (events)
            {
                output.WriteLine($"events:\n  {string.Join("\n  ", events.TakeLast(20))}");
            }
            if (proxy is not null)
            {
                output.WriteLine($"{proxy}\nunder way:\n  {string.Join("\n  ", proxy.InFlight)}\nlast done:\n  {string.Join("\n  ", proxy.Journal.TakeLast(30))}");
            }
            throw;
        }
        Assert.True(end.Succeeded, end.Summary);
    }

    /// <summary>Every object of the bucket, read directly from the server.</summary>
    private async Task<SortedDictionary<string, byte[]>> ObjectsAsync(string bucket)
    {
        using var store = new S3ObjectStore(s3.Options(bucket));
        var objects = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        await foreach (var item in store.ListAsync(""))
        {
            await using var body = await store.GetAsync(item.Key);
            using var copy = new MemoryStream();
            await body.CopyToAsync(copy);
            objects[item.Key] = copy.ToArray();
        }
        return objects;
    }

    /// <summary>
    /// What differs between two buckets' objects, one line per key: every object byte for byte, but for the values
    /// of <see cref="Measured"/> in JSON objects.
    /// </summary>
    private static List<string> Differences(IReadOnlyDictionary<string, byte[]> expected, IReadOnlyDictionary<string, byte[]> actual)
    {
        var differences = new List<string>();
        foreach (string key in expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal))
        {
            if (!expected.TryGetValue(key, out var want))
            {
                differences.Add($"{key}: only in the faulty run");
            }
            else if (!actual.TryGetValue(key, out var got))
            {
                differences.Add($"{key}: missing from the faulty run");
            }
            else if (key.EndsWith(".json", StringComparison.Ordinal))
            {
                string wanted = Unmeasured(want), gotten = Unmeasured(got);
                if (wanted != gotten)
                {
                    int at = wanted.AsSpan().CommonPrefixLength(gotten);
                    differences.Add($"{key}: from character {at}, '{Excerpt(wanted, at)}' against '{Excerpt(gotten, at)}'");
                }
            }
            else if (!want.AsSpan().SequenceEqual(got))
            {
                int at = want.AsSpan().CommonPrefixLength(got);
                differences.Add($"{key}: {want.Length} against {got.Length} bytes, first difference at byte {at}");
            }
        }
        return differences;
    }

    /// <summary>
    /// The JSON without its measured values (<see cref="Measured"/>), with each object's properties in ordinal order:
    /// a dictionary such as the record's shards per split is written in the order its entries arrived, which
    /// concurrent units decide, fault or none.
    /// </summary>
    private static string Unmeasured(byte[] json) => Canonical(JsonNode.Parse(json))?.ToJsonString() ?? "null";

    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject item => new JsonObject(item
            .Where(property => !Measured.Contains(property.Key, StringComparer.OrdinalIgnoreCase))
            .OrderBy(property => property.Key, StringComparer.Ordinal)
            .Select(property => KeyValuePair.Create(property.Key, Canonical(property.Value)))),
        JsonArray items => new JsonArray(items.Select(Canonical).ToArray()),
        _ => node?.DeepClone(),
    };

    private static string Excerpt(string text, int at) => text.Substring(Math.Max(0, at - 40), Math.Min(text.Length, at + 80) - Math.Max(0, at - 40));

    private static List<string> Keys(IEnumerable<string> differences) => differences.Select(d => d[..d.IndexOf(':', StringComparison.Ordinal)]).ToList();

    private static SortedDictionary<string, byte[]> Changed(IReadOnlyDictionary<string, byte[]> objects, string key, Func<byte[], byte[]> change) =>
        new(objects.ToDictionary(item => item.Key, item => item.Key == key ? change(item.Value.ToArray()) : item.Value), StringComparer.Ordinal);

    private static byte[] FlipMiddleByte(byte[] bytes)
    {
        bytes[bytes.Length / 2] ^= 1;
        return bytes;
    }

    private static byte[] ChangeFirstMetricDigit(byte[] json)
    {
        string text = Encoding.UTF8.GetString(json);
        int value = text.IndexOf("\"value\":", StringComparison.OrdinalIgnoreCase);
        int digit = text.IndexOfAny("0123456789".ToCharArray(), value);
        Assert.True(value >= 0 && digit >= 0, "results.json holds no metric value");
        char changed = text[digit] == '9' ? '8' : (char)(text[digit] + 1);
        return Encoding.UTF8.GetBytes(string.Concat(text.AsSpan(0, digit), changed.ToString(CultureInfo.InvariantCulture), text.AsSpan(digit + 1)));
    }
}
