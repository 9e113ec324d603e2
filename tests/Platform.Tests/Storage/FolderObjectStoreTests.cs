using System.Text;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Platform.Tests.Storage;

public sealed class FolderObjectStoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string Root => _temp.Path;

    public void Dispose() => _temp.Dispose();

    private static MemoryStream Text(string value) => new(Encoding.UTF8.GetBytes(value));

    private static async Task<string> ReadAll(IObjectStore store, string key)
    {
        await using var stream = await store.GetAsync(key);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    [Fact]
    public async Task PutGetListAndDeleteRoundTrip()
    {
        var store = new FolderObjectStore(Root);

        await store.PutAsync("datasets/fmnist/train/manifest.json", Text("{}"));
        await store.PutAsync("datasets/fmnist/train/shard-000000.tar", Text("tar"));
        await store.PutAsync("experiments/a/state.json", Text("s"));
        await store.PutAsync("datasets/fmnist/train/manifest.json", Text("{\"v\":2}"));

        Assert.Equal("{\"v\":2}", await ReadAll(store, "datasets/fmnist/train/manifest.json"));
        var listed = await store.ListAsync("datasets/").ToListAsync();
        Assert.Equal(["datasets/fmnist/train/manifest.json", "datasets/fmnist/train/shard-000000.tar"], listed.Select(o => o.Key));
        Assert.Equal(3, listed[1].Size);
        Assert.True(await store.ExistsAsync("experiments/a/state.json"));
        await store.DeleteAsync("experiments/a/state.json");
        Assert.False(await store.ExistsAsync("experiments/a/state.json"));
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.GetAsync("experiments/a/state.json"));
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("/absolute")]
    [InlineData("a//b")]
    [InlineData("a/./b")]
    [InlineData("a/b/")]
    [InlineData("with space")]
    [InlineData("")]
    public async Task KeysThatCouldEscapeOrSurpriseAreRejected(string key)
    {
        var store = new FolderObjectStore(Root);

        await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(key, Text("x")));
        Assert.Empty(Directory.GetFiles(Root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task AFailedWriteLeavesTheOldObjectAndNoPart()
    {
        var store = new FolderObjectStore(Root);
        await store.PutAsync("a/b.bin", Text("old"));

        await Assert.ThrowsAsync<IOException>(() => store.PutAsync("a/b.bin", new FailingStream()));

        Assert.Equal("old", await ReadAll(store, "a/b.bin"));
        Assert.Equal(["a/b.bin"], (await store.ListAsync("").ToListAsync()).Select(o => o.Key));
        Assert.Single(Directory.GetFiles(Root, "*", SearchOption.AllDirectories));
    }

    private sealed class FailingStream : MemoryStream
    {
        public FailingStream() : base(new byte[1000])
        {
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position > 100 ? throw new IOException("disk gone") : base.ReadAsync(buffer[..50], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
