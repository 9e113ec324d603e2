using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Platform.Tests.Storage;

public sealed class FolderObjectStoreContractTests : ObjectStoreContract
{
    private readonly TempDirectory _temp = new();

    protected override Task<IObjectStore> CreateStoreAsync() => Task.FromResult<IObjectStore>(new FolderObjectStore(_temp.Path));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _temp.Dispose();
    }
}
