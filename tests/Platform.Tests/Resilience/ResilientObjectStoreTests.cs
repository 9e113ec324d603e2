using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Resilience;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Platform.Tests.Resilience;

public sealed class ResilientObjectStoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Fast options for tests: tiny delays, a breaker that needs more failures than a test makes.</summary>
    private static ObjectStoreResilienceOptions Fast(int retries = 4) => new()
    {
        MaxRetryAttempts = retries,
        BaseDelay = TimeSpan.FromMilliseconds(1),
        MaxDelay = TimeSpan.FromMilliseconds(5),
        AttemptTimeout = TimeSpan.FromSeconds(5),
        MinimumThroughput = 100,
    };

    [Fact]
    public async Task TransientFailuresAreRetriedUntilTheCallSucceeds()
    {
        var inner = new FlakyStore(new FolderObjectStore(_temp.Path))
        {
            Failures = new Queue<Exception>([new IOException("connection reset"), new HttpRequestException("refused"), new TimeoutException()]),
        };
        var store = ResilientObjectStore.Create(inner, Fast());

        bool exists = await store.ExistsAsync("a/b.bin");

        Assert.False(exists);
        Assert.Equal(4, inner.Calls);
    }

    [Fact]
    public async Task RetriesStopAfterMaxRetryAttempts()
    {
        var inner = new FlakyStore(new FolderObjectStore(_temp.Path))
        {
            Failures = new Queue<Exception>(Enumerable.Range(0, 10).Select(i => new IOException($"failure {i}"))),
        };
        var store = ResilientObjectStore.Create(inner, Fast(retries: 2));

        var error = await Assert.ThrowsAsync<IOException>(() => store.GetAsync("a.bin"));

        Assert.Equal("failure 2", error.Message);
        Assert.Equal(3, inner.Calls);
    }

    [Theory]
    [InlineData("not found")]
    [InlineData("argument")]
    [InlineData("http 404")]
    [InlineData("unauthorized")]
    public async Task PermanentFailuresAreNotRetried(string kind)
    {
        Exception failure = kind switch
        {
            "not found" => new FileNotFoundException("gone"),
            "argument" => new ArgumentException("bad"),
            "http 404" => new HttpRequestException("not there", null, HttpStatusCode.NotFound),
            _ => new UnauthorizedAccessException("no"),
        };
        var inner = new FlakyStore(new FolderObjectStore(_temp.Path)) { Failures = new Queue<Exception>([failure]) };
        var store = ResilientObjectStore.Create(inner, Fast());

        var error = await Assert.ThrowsAnyAsync<Exception>(() => store.GetAsync("a.bin"));

        Assert.Same(failure, error);
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task AMissingObjectThroughTheDecoratorIsStillFileNotFoundAndNotRetried()
    {
        var inner = new FlakyStore(new FolderObjectStore(_temp.Path));
        var store = ResilientObjectStore.Create(inner, Fast());

        await Assert.ThrowsAsync<FileNotFoundException>(() => store.GetAsync("missing.bin"));
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.GetRangeAsync("missing.bin", 0, 10));

        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task ANonSeekablePutSurvivesARetryWithTheFullContent()
    {
        var content = new byte[3 * 1024 * 1024 + 17];
        new Random(5).NextBytes(content);
        var folder = new FolderObjectStore(_temp.Path);
        // The first attempt reads half of the stream and then fails, as a dropped upload does.
        var inner = new FlakyStore(folder) { FailPutAfterReading = content.Length / 2 };
        var store = ResilientObjectStore.Create(inner, Fast());

        await store.PutAsync("shards/s.tar", new OneWayStream(new MemoryStream(content)));

        Assert.Equal(2, inner.Calls);
        Assert.Equal(content, await File.ReadAllBytesAsync(folder.LocalPath("shards/s.tar")));
    }

    [Fact]
    public async Task ASeekablePutIsRewoundToWhereItStoodForEachAttempt()
    {
        var folder = new FolderObjectStore(_temp.Path);
        var inner = new FlakyStore(folder) { FailPutAfterReading = 3 };
        var store = ResilientObjectStore.Create(inner, Fast());
        var content = new MemoryStream(Encoding.UTF8.GetBytes("header|payload"));
        content.Position = 7;

        await store.PutAsync("p.txt", content);

        Assert.Equal("payload", await File.ReadAllTextAsync(folder.LocalPath("p.txt")));
    }

    [Fact]
    public async Task AnAttemptThatHangsTimesOutAndIsRetried()
    {
        var inner = new FlakyStore(new FolderObjectStore(_temp.Path)) { HangFirstCalls = 1 };
        var options = Fast();
        options.AttemptTimeout = TimeSpan.FromMilliseconds(200);
        var store = ResilientObjectStore.Create(inner, options);

        Assert.False(await store.ExistsAsync("a.bin"));
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task CancellationByTheCallerIsNotRetried()
    {
        var inner = new FlakyStore(new FolderObjectStore(_temp.Path)) { HangFirstCalls = 5 };
        var store = ResilientObjectStore.Create(inner, Fast());
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.ExistsAsync("a.bin", cancel.Token));
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task ListingsAreRetriedAsAWhole()
    {
        var folder = new FolderObjectStore(_temp.Path);
        await folder.PutAsync("l/1", new MemoryStream([1]));
        await folder.PutAsync("l/2", new MemoryStream([2]));
        var inner = new FlakyStore(folder) { FailListAfterItems = 1 };
        var store = ResilientObjectStore.Create(inner, Fast());

        var listed = await store.ListAsync("l/").ToListAsync();

        Assert.Equal(["l/1", "l/2"], listed.Select(o => o.Key));
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public void AFolderStoreStaysALocalStore()
    {
        var folder = new FolderObjectStore(_temp.Path);

        var store = ResilientObjectStore.Create(folder);

        var local = Assert.IsAssignableFrom<ILocalObjectStore>(store);
        Assert.Equal(folder.LocalPath("a/b"), local.LocalPath("a/b"));
        Assert.IsNotAssignableFrom<ILocalObjectStore>(ResilientObjectStore.Create(new FlakyStore(folder)));
    }

    [Fact]
    public void InvalidOptionsAreRejectedWithEveryProblem()
    {
        var options = new ObjectStoreResilienceOptions { MaxRetryAttempts = -1, FailureRatio = 0, BreakDuration = TimeSpan.Zero };

        var error = Assert.Throws<OptionsValidationException>(() => ResilientObjectStore.Create(new FolderObjectStore(_temp.Path), options));

        Assert.Collection(error.Failures,
            p => Assert.StartsWith("Storage:Resilience:MaxRetryAttempts ", p),
            p => Assert.StartsWith("Storage:Resilience:FailureRatio ", p),
            p => Assert.StartsWith("Storage:Resilience:BreakDuration ", p));
    }

    [Fact]
    public async Task TheCircuitOpensAgainstAClosedPortAndSaysSo()
    {
        int port = InfrastructureScript.FreePort(); // nothing listens there any more: connections are refused
        var s3 = new S3ObjectStore(new S3StoreOptions
        {
            Endpoint = $"http://127.0.0.1:{port}",
            AccessKey = "k",
            SecretKey = "s",
            ConnectTimeout = TimeSpan.FromSeconds(1),
        });
        using var store = ResilientObjectStore.Create(s3, new ObjectStoreResilienceOptions
        {
            MaxRetryAttempts = 2,
            BaseDelay = TimeSpan.FromMilliseconds(1),
            MaxDelay = TimeSpan.FromMilliseconds(5),
            AttemptTimeout = TimeSpan.FromSeconds(2),
            FailureRatio = 0.5,
            MinimumThroughput = 4,
            SamplingDuration = TimeSpan.FromSeconds(10),
            BreakDuration = TimeSpan.FromSeconds(5),
        });

        // Without the decorator, a refused connection surfaces from Minio as a plain HttpRequestException.
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => s3.ExistsAsync("a.bin"));
        Assert.IsType<SocketException>(refused.InnerException);
        Assert.Null(refused.StatusCode);

        var errors = new List<Exception>();
        for (int call = 0; call < 6 && errors.LastOrDefault() is not BrokenCircuitException; call++)
        {
            errors.Add(await Assert.ThrowsAnyAsync<Exception>(() => store.ExistsAsync("a.bin")));
        }

        var open = Assert.IsType<BrokenCircuitException>(errors[^1]);
        Assert.IsType<HttpRequestException>(errors[0]);
        Assert.Contains("circuit breaker", open.Message);
        Assert.Contains($"127.0.0.1:{port}", open.Message);
        Assert.Contains("HttpRequestException", open.Message);
        Assert.IsType<HttpRequestException>(open.InnerException);
        Assert.NotNull(open.RetryAfter);
        // While open, calls fail at once and the breaker is not asked to retry.
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAsync<BrokenCircuitException>(() => store.PutAsync("a.bin", new MemoryStream([1, 2, 3])));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(1), started.Elapsed.ToString());
    }

    [Fact]
    public void FaultsAreClassified()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.True(ObjectStoreFaults.IsTransient(new HttpRequestException("refused")));
        Assert.True(ObjectStoreFaults.IsTransient(new HttpRequestException("busy", null, HttpStatusCode.ServiceUnavailable)));
        Assert.True(ObjectStoreFaults.IsTransient(new HttpRequestException("slow", null, HttpStatusCode.TooManyRequests)));
        Assert.False(ObjectStoreFaults.IsTransient(new HttpRequestException("bad", null, HttpStatusCode.BadRequest)));
        Assert.True(ObjectStoreFaults.IsTransient(new IOException("reset")));
        Assert.False(ObjectStoreFaults.IsTransient(new FileNotFoundException("gone")));
        Assert.False(ObjectStoreFaults.IsTransient(new DirectoryNotFoundException("gone")));
        Assert.False(ObjectStoreFaults.IsTransient(new ArgumentException("bad")));
        Assert.False(ObjectStoreFaults.IsTransient(new ArgumentOutOfRangeException("x")));
        Assert.True(ObjectStoreFaults.IsTransient(new TimeoutRejectedException()));
        Assert.True(ObjectStoreFaults.IsTransient(new TaskCanceledException()));
        Assert.False(ObjectStoreFaults.IsTransient(new TaskCanceledException(), cancelled.Token));
        Assert.False(ObjectStoreFaults.IsTransient(new BrokenCircuitException()));
        Assert.True(ObjectStoreFaults.IsTransient(new Minio.Exceptions.ConnectionException("down")));
        Assert.False(ObjectStoreFaults.IsTransient(new Minio.Exceptions.ObjectNotFoundException("k")));
        Assert.False(ObjectStoreFaults.IsTransient(new InvalidOperationException("bug")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_that_breaks_or_stalls_mid_way_is_read_on_from_where_it_stopped(bool stall)
    {
        var folder = new FolderObjectStore(_temp.Path);
        byte[] content = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();
        await folder.PutAsync("a/object.bin", new MemoryStream(content));
        var inner = new FlakyStore(folder) { FaultyBodies = 5, BodyFaultAfterBytes = 30_000, BodiesStall = stall };
        var options = Fast();
        options.ReadIdleTimeout = TimeSpan.FromMilliseconds(200);
        var store = ResilientObjectStore.Create(inner, options);

        await using var body = await store.GetAsync("a/object.bin");
        var read = new MemoryStream();
        await body.CopyToAsync(read);
        await using var range = await store.GetRangeAsync("a/object.bin", 10_000, 50_000);
        var rangeRead = new MemoryStream();
        await range.CopyToAsync(rangeRead);

        Assert.Equal(content, read.ToArray());
        Assert.Equal(content.AsSpan(10_000, 50_000).ToArray(), rangeRead.ToArray());
        // The first five bodies break 30 000 bytes in: the whole object at 30 000, 60 000 and 90 000 (the last 10 000 bytes
        // arrive whole), each time asked for the rest;
        // the range once, 30 000 bytes into it.
        Assert.Equal([(30_000L, long.MaxValue - 30_000), (60_000L, long.MaxValue - 60_000), (90_000L, long.MaxValue - 90_000), (10_000L, 50_000L),
            (40_000L, 20_000L)], inner.Ranges);
    }

    [Fact]
    public async Task A_body_that_keeps_breaking_fails_once_its_resumes_are_spent()
    {
        var folder = new FolderObjectStore(_temp.Path);
        await folder.PutAsync("a/object.bin", new MemoryStream(new byte[10_000]));
        var inner = new FlakyStore(folder) { FaultyBodies = 100, BodyFaultAfterBytes = 100 };
        var options = Fast();
        options.MaxReadResumes = 3;
        var store = ResilientObjectStore.Create(inner, options);

        await using var body = await store.GetAsync("a/object.bin");

        var error = await Assert.ThrowsAsync<IOException>(() => body.CopyToAsync(Stream.Null));
        Assert.Contains("mid-body", error.Message);
        Assert.Equal(3, inner.Ranges.Count);
    }

    /// <summary>
    /// An in-test store that injects faults in front of a real one: queued exceptions, hanging calls, a put that
    /// fails after reading part of its stream, a listing that fails half-way.
    /// </summary>
    private sealed class FlakyStore(IObjectStore inner) : IObjectStore
    {
        public Queue<Exception> Failures { get; init; } = new();
        public int HangFirstCalls { get; init; }
        public int FailPutAfterReading { get; set; } = -1;
        public int FailListAfterItems { get; set; } = -1;
        public int Calls { get; private set; }

        /// <summary>The first this many bodies read break (an IOException) or stall after <see cref="BodyFaultAfterBytes"/> bytes.</summary>
        public int FaultyBodies { get; set; }
        public bool BodiesStall { get; init; }
        public int BodyFaultAfterBytes { get; init; }
        public List<(long Offset, long Length)> Ranges { get; } = [];

        private Stream Body(Stream body)
        {
            if (FaultyBodies <= 0)
            {
                return body;
            }
            FaultyBodies--;
            return new FaultyBody(body, BodyFaultAfterBytes, BodiesStall);
        }

        private async Task Enter(CancellationToken cancellationToken)
        {
            Calls++;
            if (Calls <= HangFirstCalls)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            if (Failures.TryDequeue(out var failure))
            {
                throw failure;
            }
        }

        public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default)
        {
            await Enter(cancellationToken);
            if (FailPutAfterReading >= 0)
            {
                var partial = new byte[FailPutAfterReading];
                await content.ReadAtLeastAsync(partial, partial.Length, throwOnEndOfStream: false, cancellationToken);
                FailPutAfterReading = -1;
                throw new IOException("connection reset while uploading");
            }
            await inner.PutAsync(key, content, cancellationToken);
        }

        public async Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default)
        {
            await Enter(cancellationToken);
            return Body(await inner.GetAsync(key, cancellationToken));
        }

        public async Task<Stream> GetRangeAsync(string key, long offset, long length, CancellationToken cancellationToken = default)
        {
            await Enter(cancellationToken);
            Ranges.Add((offset, length));
            return Body(await inner.GetRangeAsync(key, offset, length, cancellationToken));
        }

        public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default)
        {
            await Enter(cancellationToken);
            return await inner.ExistsAsync(key, cancellationToken);
        }

        public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Enter(cancellationToken);
            int count = 0;
            await foreach (var stored in inner.ListAsync(prefix, cancellationToken))
            {
                if (count++ == FailListAfterItems)
                {
                    FailListAfterItems = -1;
                    throw new IOException("listing interrupted");
                }
                yield return stored;
            }
        }

        public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
        {
            await Enter(cancellationToken);
            await inner.DeleteAsync(key, cancellationToken);
        }

        public override string ToString() => "flaky test store";
    }

    /// <summary>A body that breaks (or stalls until its read is cancelled) once <c>faultAfter</c> bytes were read.</summary>
    private sealed class FaultyBody(Stream inner, int faultAfter, bool stall) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_read >= faultAfter)
            {
                if (stall)
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                throw new IOException("connection reset mid-body");
            }
            int read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, faultAfter - _read)], cancellationToken);
            _read += read;
            return read;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    private sealed class OneWayStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
