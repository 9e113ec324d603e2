using System.Diagnostics;
using SemanticMIM.Platform.Resilience;
using SemanticMIM.Platform.Storage;
using Xunit.Abstractions;

namespace SemanticMIM.Platform.Tests.Resilience;

/// <summary>The S3 store, retried, against the real S3 server behind <see cref="FaultyS3Proxy"/>.</summary>
[Collection(S3rverCollection.Name)]
public sealed class FaultyServerTests(S3rverFixture s3, ITestOutputHelper output)
{
    [Fact]
    public async Task Every_call_succeeds_through_a_tenth_of_requests_failing_and_without_retries_some_fail()
    {
        string bucket = S3rverFixture.UniqueBucket();
        var random = new Random(5);
        var objects = Enumerable.Range(0, 40).ToDictionary(i => $"objects/{i:D2}.bin", _ =>
        {
            var bytes = new byte[random.Next(1, 50_000)];
            random.NextBytes(bytes);
            return bytes;
        });

        await using var proxy = new FaultyS3Proxy(new Uri(s3.Endpoint), seed: 5, faultRate: 0.1);
        using (var store = Retried(proxy, bucket, retries: true))
        {
            foreach (var (key, bytes) in objects)
            {
                // A non-seekable upload: the store must keep a copy to send again.
                await store.PutAsync(key, new NonSeekable(bytes));
            }
            foreach (var (key, bytes) in objects)
            {
                Assert.Equal(bytes, await ReadAsync(store, key));
            }
            Assert.Equal(objects.Keys.Order(StringComparer.Ordinal), (await store.ListAsync("objects/").ToListAsync()).Select(o => o.Key));
        }
        string survived = proxy.ToString();

        int failed = 0;
        using (var store = Retried(proxy, bucket, retries: false))
        {
            foreach (var (key, bytes) in objects)
            {
                try
                {
                    Assert.Equal(bytes, await ReadAsync(store, key));
                }
                catch (Exception e) when (ObjectStoreFaults.IsTransient(e))
                {
                    failed++;
                }
            }
        }

        output.WriteLine($"with retries: {survived}; without, after: {proxy}, {failed} of {objects.Count} reads failed");
        Assert.All(proxy.Faults, fault => Assert.True(fault.Value > 0, $"no {fault.Key} was injected: {proxy}"));
        Assert.True(failed > 0, $"no read failed without retries: {proxy}");
    }

    [Fact]
    public async Task A_listing_whose_body_stalls_is_cut_off_by_the_attempt_timeout_and_retried()
    {
        string bucket = S3rverFixture.UniqueBucket();
        using (var direct = await S3ObjectStore.CreateAsync(s3.Options(bucket)))
        {
            await direct.PutAsync("a/1", new MemoryStream([1]));
            await direct.PutAsync("a/2", new MemoryStream([2]));
        }
        await using var proxy = new FaultyS3Proxy(new Uri(s3.Endpoint), seed: 1, faultRate: 0.5, [StoreFault.StallMidBody]);
        using var store = Retried(proxy, bucket, retries: true, attemptSeconds: 1);
        var clock = Stopwatch.StartNew();

        for (int i = 0; i < 4; i++)
        {
            var listed = await store.ListAsync("a/").ToListAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(["a/1", "a/2"], listed.Select(o => o.Key));
        }

        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: {proxy}");
        Assert.True(proxy.Faults[StoreFault.StallMidBody] > 0, proxy.ToString());
    }

    private ResilientObjectStore Retried(FaultyS3Proxy proxy, string bucket, bool retries, double attemptSeconds = 2)
    {
        var options = s3.Options(bucket);
        options.Endpoint = proxy.Endpoint;
        return ResilientObjectStore.Create(new S3ObjectStore(options), new ObjectStoreResilienceOptions
        {
            MaxRetryAttempts = retries ? 10 : 0,
            MaxReadResumes = retries ? 10 : 0,
            BaseDelay = TimeSpan.FromMilliseconds(5),
            MaxDelay = TimeSpan.FromMilliseconds(50),
            AttemptTimeout = TimeSpan.FromSeconds(attemptSeconds),
            ReadIdleTimeout = TimeSpan.FromMilliseconds(500),
            // A tenth of requests failing is what the test asks to be survived, not a reason to stop calling.
            MinimumThroughput = 1000,
        });
    }

    private static async Task<byte[]> ReadAsync(ResilientObjectStore store, string key)
    {
        await using var body = await store.GetAsync(key);
        using var copy = new MemoryStream();
        await body.CopyToAsync(copy);
        return copy.ToArray();
    }

    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override long Length => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    }
}
