using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Platform.Tests.Storage;

/// <summary>The contract against a real S3 server (s3rver), each test in a bucket of its own.</summary>
[Collection(S3rverCollection.Name)]
public sealed class S3ObjectStoreContractTests(S3rverFixture s3) : ObjectStoreContract
{
    protected override async Task<IObjectStore> CreateStoreAsync() =>
        await S3ObjectStore.CreateAsync(s3.Options(S3rverFixture.UniqueBucket()));

    [Fact]
    public async Task AKeyPrefixKeepsStoresApartInOneBucket()
    {
        string bucket = S3rverFixture.UniqueBucket();
        using var tenantA = await S3ObjectStore.CreateAsync(s3.Options(bucket, keyPrefix: "tenant-a"));
        using var tenantB = await S3ObjectStore.CreateAsync(s3.Options(bucket, keyPrefix: "tenant-b/"));
        using var whole = await S3ObjectStore.CreateAsync(s3.Options(bucket));

        await tenantA.PutAsync("datasets/x.bin", Text("a"));
        await tenantB.PutAsync("datasets/x.bin", Text("bb"));

        Assert.Equal([new StoredObject("datasets/x.bin", 1)], await tenantA.ListAsync("").ToListAsync());
        Assert.Equal("bb", System.Text.Encoding.UTF8.GetString(await ReadAll(await tenantB.GetAsync("datasets/x.bin"))));
        Assert.Equal(["tenant-a/datasets/x.bin", "tenant-b/datasets/x.bin"], (await whole.ListAsync("").ToListAsync()).Select(o => o.Key));
        Assert.True(await whole.ExistsAsync("tenant-b/datasets/x.bin"));
        Assert.False(await tenantA.ExistsAsync("tenant-a/datasets/x.bin"));
    }

    [Fact]
    public async Task TheBucketIsCreatedOnceAndAnExistingOneIsKept()
    {
        string bucket = S3rverFixture.UniqueBucket();
        using (var first = await S3ObjectStore.CreateAsync(s3.Options(bucket)))
        {
            await first.PutAsync("kept.txt", Text("kept"));
        }

        using var second = new S3ObjectStore(s3.Options(bucket));
        await second.EnsureBucketAsync();
        await second.EnsureBucketAsync();

        Assert.True(await second.ExistsAsync("kept.txt"));
    }

    [Fact]
    public async Task WrongCredentialsAreRefusedNotRetriedAsMissing()
    {
        // s3rver checks the access key (it does not verify V4 signatures, so a wrong secret would pass).
        var options = s3.Options(S3rverFixture.UniqueBucket());
        options.AccessKey = "NOT-A-KEY";
        using var store = new S3ObjectStore(options);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => store.ExistsAsync("a.txt"));

        Assert.IsType<UnauthorizedAccessException>(error);
        Assert.False(SemanticMIM.Platform.Resilience.ObjectStoreFaults.IsTransient(error), error.ToString());
    }
}
