using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Resilience;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Platform.Tests.Storage;

public sealed class ObjectStoreRegistrationTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();

    /// <summary>The store registered from <paramref name="values"/>, resolved as a service would: this is where the section is validated.</summary>
    private static OptionsValidationException Refused(params (string Key, string Value)[] values)
    {
        using var provider = new ServiceCollection().AddSemanticMimObjectStore(Config(values)).BuildServiceProvider();
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IObjectStore>());
    }

    [Fact]
    public void AFolderSectionRegistersAResilientLocalFolderStore()
    {
        var services = new ServiceCollection().AddSemanticMimObjectStore(Config(
            ("Storage:Kind", "folder"), ("Storage:Root", _temp.Path), ("Storage:Resilience:MaxRetryAttempts", "2")));
        using var provider = services.BuildServiceProvider();

        var store = Assert.IsAssignableFrom<ResilientObjectStore>(provider.GetRequiredService<IObjectStore>());

        var folder = Assert.IsType<FolderObjectStore>(store.Inner);
        Assert.Equal(Path.GetFullPath(_temp.Path), folder.Root);
        Assert.Equal(2, store.Options.MaxRetryAttempts);
        Assert.Equal(new ObjectStoreResilienceOptions().BaseDelay, store.Options.BaseDelay);
        Assert.Same(store, provider.GetRequiredService<IObjectStore>());
        Assert.Same(store, provider.GetRequiredService<ILocalObjectStore>());
    }

    [Fact]
    public void AnS3SectionRegistersAResilientS3Store()
    {
        var services = new ServiceCollection().AddSemanticMimObjectStore(Config(
            ("Storage:Kind", "S3"), ("Storage:Endpoint", "http://127.0.0.1:9"), ("Storage:AccessKey", "a"),
            ("Storage:SecretKey", "s3cret"), ("Storage:Bucket", "my-bucket"), ("Storage:KeyPrefix", "tenant"),
            ("Storage:ConnectTimeout", "00:00:03"), ("Storage:Resilience:AttemptTimeout", "00:00:05"),
            ("Storage:Resilience:FailureRatio", "0.25")));
        using var provider = services.BuildServiceProvider();

        var store = Assert.IsAssignableFrom<ResilientObjectStore>(provider.GetRequiredService<IObjectStore>());

        var s3 = Assert.IsType<S3ObjectStore>(store.Inner);
        Assert.Equal("my-bucket", s3.Bucket);
        Assert.Contains("http://127.0.0.1:9/my-bucket/tenant", s3.ToString());
        Assert.DoesNotContain("s3cret", s3.ToString());
        Assert.Equal(TimeSpan.FromSeconds(5), store.Options.AttemptTimeout);
        Assert.Equal(0.25, store.Options.FailureRatio);
        Assert.Null(provider.GetService<ILocalObjectStore>());

        var options = provider.GetRequiredService<IOptions<ObjectStoreOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(3), options.ConnectTimeout);
        Assert.Equal(S3StoreOptions.DefaultRegion, options.Region);
    }

    [Fact]
    public void AWrongSectionListsEveryProblem()
    {
        var error = Refused(
            ("Storage:Kind", "s3"), ("Storage:Endpoint", "ftp://store"), ("Storage:Bucket", "Bad_Bucket"),
            ("Storage:KeyPrefix", "../up"), ("Storage:ConnectTimeout", "-00:00:01"),
            ("Storage:Resilience:MaxRetryAttempts", "-1"), ("Storage:Resilience:AttemptTimeout", "00:00:00.001"),
            ("Storage:Resilience:FailureRatio", "2"));

        string[] expected =
        [
            "Storage:Endpoint", "Storage:AccessKey", "Storage:SecretKey", "Storage:Bucket", "Storage:KeyPrefix",
            "Storage:ConnectTimeout", "Storage:Resilience:MaxRetryAttempts", "Storage:Resilience:AttemptTimeout",
            "Storage:Resilience:FailureRatio",
        ];
        Assert.Equal(expected.Length, error.Failures.Count());
        Assert.All(expected, setting => Assert.Contains(error.Failures, p => p.StartsWith(setting + " ", StringComparison.Ordinal)));
        Assert.All(expected, setting => Assert.Contains(setting, error.Message));
    }

    [Theory]
    [InlineData(null, "Storage:Kind is missing")]
    [InlineData("tape", "Storage:Kind 'tape' is not a store kind")]
    [InlineData("folder", "Storage:Root is missing")]
    public void AMissingOrUnknownKindOrRootIsNamed(string? kind, string problem)
    {
        var values = kind is null ? [] : new[] { ("Storage:Kind", kind) };

        var error = Refused(values);

        Assert.StartsWith(problem, Assert.Single(error.Failures));
    }

    [Fact]
    public async Task AHostWithAWrongSectionDoesNotStart()
    {
        using var host = BuildHost(("Storage:Kind", "folder"), ("Storage:Resilience:MaxRetryAttempts", "101"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Collection(error.Failures,
            p => Assert.StartsWith("Storage:Root is missing", p),
            p => Assert.StartsWith("Storage:Resilience:MaxRetryAttempts 101 ", p));
    }

    [Theory]
    [InlineData("Storage:ConnectTimeout", "soon")]
    [InlineData("Storage:Resilience:AttemptTimeout", "later")]
    [InlineData("Storage:Resilience:MaxRetryAttempts", "many")]
    [InlineData("Storage:Resilience:FailureRatio", "half")]
    public async Task AValueThatIsNotOfItsTypeStopsTheHostNamingItsKey(string key, string value)
    {
        using var host = BuildHost(("Storage:Kind", "folder"), ("Storage:Root", _temp.Path), (key, value));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains($"'{key}'", error.Message);
    }

    private static IHost BuildHost(params (string Key, string Value)[] values)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(Config(values));
        builder.Services.AddSemanticMimObjectStore(builder.Configuration);
        return builder.Build();
    }
}
