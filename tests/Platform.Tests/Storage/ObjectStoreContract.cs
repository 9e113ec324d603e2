using System.Text;
using SemanticMIM.Contracts.Storage;

namespace SemanticMIM.Platform.Tests.Storage;

/// <summary>The behaviour every <see cref="IObjectStore"/> must have; one subclass per store.</summary>
public abstract class ObjectStoreContract : IAsyncLifetime
{
    private IObjectStore? _store;

    protected IObjectStore Store => _store ?? throw new InvalidOperationException("not initialised");

    protected abstract Task<IObjectStore> CreateStoreAsync();

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public virtual Task DisposeAsync()
    {
        (_store as IDisposable)?.Dispose();
        return Task.CompletedTask;
    }

    protected static MemoryStream Text(string value) => new(Encoding.UTF8.GetBytes(value));

    protected static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    protected static async Task<byte[]> ReadAll(Stream stream)
    {
        await using (stream)
        {
            var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    protected async Task<string> ReadText(string key) => Encoding.UTF8.GetString(await ReadAll(await Store.GetAsync(key)));

    [Fact]
    public async Task PutThenGetReturnsTheSameBytes()
    {
        await Store.PutAsync("a/small.json", Text("{\"x\":1}"));
        await Store.PutAsync("a/empty.bin", new MemoryStream());

        Assert.Equal("{\"x\":1}", await ReadText("a/small.json"));
        Assert.Empty(await ReadAll(await Store.GetAsync("a/empty.bin")));
    }

    [Fact]
    public async Task AMultiMegabyteObjectRoundTripsFromSeekableAndNonSeekableStreams()
    {
        var big = RandomBytes(12 * 1024 * 1024 + 123, seed: 1);
        var other = RandomBytes(6 * 1024 * 1024 + 7, seed: 2);

        await Store.PutAsync("datasets/big/shard-000000.tar", new MemoryStream(big));
        await Store.PutAsync("datasets/big/shard-000001.tar", new NonSeekableStream(new MemoryStream(other)));

        Assert.Equal(big, await ReadAll(await Store.GetAsync("datasets/big/shard-000000.tar")));
        Assert.Equal(other, await ReadAll(await Store.GetAsync("datasets/big/shard-000001.tar")));
        var listed = await Store.ListAsync("datasets/big/").ToListAsync();
        Assert.Equal(new long[] { big.Length, other.Length }, listed.Select(o => o.Size));
    }

    [Fact]
    public async Task ASeekableStreamIsStoredFromItsCurrentPosition()
    {
        var content = new MemoryStream(Encoding.UTF8.GetBytes("skip:keep"));
        content.Position = 5;

        await Store.PutAsync("a/positioned.txt", content);

        Assert.Equal("keep", await ReadText("a/positioned.txt"));
    }

    [Fact]
    public async Task PutOverwrites()
    {
        await Store.PutAsync("experiments/e1/state.json", Text("old-and-longer"));
        await Store.PutAsync("experiments/e1/state.json", Text("new"));

        Assert.Equal("new", await ReadText("experiments/e1/state.json"));
        Assert.Equal(3, Assert.Single(await Store.ListAsync("experiments/").ToListAsync()).Size);
    }

    [Fact]
    public async Task ExistsAndDelete()
    {
        Assert.False(await Store.ExistsAsync("x/y.bin"));
        await Store.PutAsync("x/y.bin", Text("y"));
        Assert.True(await Store.ExistsAsync("x/y.bin"));
        Assert.False(await Store.ExistsAsync("x/y"));
        Assert.False(await Store.ExistsAsync("x"));

        await Store.DeleteAsync("x/y.bin");
        await Store.DeleteAsync("x/never-existed.bin");

        Assert.False(await Store.ExistsAsync("x/y.bin"));
        Assert.Empty(await Store.ListAsync("x/").ToListAsync());
    }

    [Fact]
    public async Task ListIsInOrdinalOrderAndFiltersByPrefix()
    {
        string[] keys =
        [
            "datasets/b/train/shard-000010.tar", "datasets/b/train/shard-000002.tar", "datasets/B/x.json",
            "datasets/b/train/manifest.json", "datasets/b/train-extra/a.bin", "datasets/b_/z", "datasets/b-/z",
            "datasets/b.txt", "targets/b/hog/shard-000000.safetensors",
        ];
        foreach (var key in keys)
        {
            await Store.PutAsync(key, Text(key));
        }

        var all = await Store.ListAsync("").ToListAsync();
        var underB = await Store.ListAsync("datasets/b").ToListAsync();
        var train = await Store.ListAsync("datasets/b/train/").ToListAsync();

        Assert.Equal(keys.Order(StringComparer.Ordinal), all.Select(o => o.Key));
        Assert.Equal(keys.Where(k => k.StartsWith("datasets/b", StringComparison.Ordinal)).Order(StringComparer.Ordinal), underB.Select(o => o.Key));
        Assert.Equal(["datasets/b/train/manifest.json", "datasets/b/train/shard-000002.tar", "datasets/b/train/shard-000010.tar"], train.Select(o => o.Key));
        Assert.All(all, o => Assert.Equal(Encoding.UTF8.GetByteCount(o.Key), o.Size));
        Assert.Empty(await Store.ListAsync("nothing/").ToListAsync());
    }

    [Fact]
    public async Task AMissingObjectIsFileNotFound()
    {
        await Assert.ThrowsAsync<FileNotFoundException>(() => Store.GetAsync("missing/object.bin"));
        await Assert.ThrowsAsync<FileNotFoundException>(() => Store.GetRangeAsync("missing/object.bin", 0, 10));
        await Assert.ThrowsAsync<FileNotFoundException>(() => Store.GetRangeAsync("missing/object.bin", 5, 0));
    }

    [Fact]
    public async Task GetRangeReturnsTheRangeAndStopsAtTheEnd()
    {
        var bytes = RandomBytes(7 * 1024 * 1024 + 11, seed: 3);
        await Store.PutAsync("ranges/object.bin", new MemoryStream(bytes));

        Assert.Equal(bytes.AsSpan(3_000_000, 1_000_000).ToArray(), await ReadAll(await Store.GetRangeAsync("ranges/object.bin", 3_000_000, 1_000_000)));
        Assert.Equal(bytes.AsSpan(0, 1).ToArray(), await ReadAll(await Store.GetRangeAsync("ranges/object.bin", 0, 1)));
        Assert.Equal(bytes.AsSpan(bytes.Length - 100).ToArray(), await ReadAll(await Store.GetRangeAsync("ranges/object.bin", bytes.Length - 100, 5000)));
        Assert.Equal(bytes, await ReadAll(await Store.GetRangeAsync("ranges/object.bin", 0, long.MaxValue)));
        Assert.Empty(await ReadAll(await Store.GetRangeAsync("ranges/object.bin", bytes.Length, 10)));
        Assert.Empty(await ReadAll(await Store.GetRangeAsync("ranges/object.bin", bytes.Length + 1000, 10)));
        Assert.Empty(await ReadAll(await Store.GetRangeAsync("ranges/object.bin", 10, 0)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.GetRangeAsync("ranges/object.bin", -1, 10));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.GetRangeAsync("ranges/object.bin", 0, -1));
    }

    [Fact]
    public async Task GetRangeOfAnEmptyObjectIsEmpty()
    {
        await Store.PutAsync("ranges/empty.bin", new MemoryStream());

        Assert.Empty(await ReadAll(await Store.GetRangeAsync("ranges/empty.bin", 0, 10)));
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("/absolute")]
    [InlineData("a//b")]
    [InlineData("a/./b")]
    [InlineData("a/b/")]
    [InlineData("with space")]
    [InlineData("a\\b")]
    [InlineData("")]
    public async Task InvalidKeysAreRejectedByEveryOperation(string key)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.PutAsync(key, Text("x")));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.GetAsync(key));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.GetRangeAsync(key, 0, 1));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ExistsAsync(key));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.DeleteAsync(key));
        Assert.Empty(await Store.ListAsync("").ToListAsync());
    }

    /// <summary>A stream that can only be read forwards, like a network or pipe stream.</summary>
    protected sealed class NonSeekableStream(Stream inner) : Stream
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

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 4096));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer[..Math.Min(buffer.Length, 4096)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
