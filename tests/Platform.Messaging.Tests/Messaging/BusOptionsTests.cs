using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace SemanticMIM.Platform.Messaging.Tests.Messaging;

public sealed class BusOptionsTests
{
    static IConfiguration Configuration(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    /// <summary>
    /// A container with the bus registered from <paramref name="values"/>; nothing is validated before the options are
    /// read. One that resolved the bus must be disposed asynchronously (MassTransit's services are only IAsyncDisposable).
    /// </summary>
    static ServiceProvider Provider(params (string Key, string? Value)[] values)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSemanticMimBus(Configuration(values), _ => { });
        return services.BuildServiceProvider();
    }

    static BusOptions Options(params (string Key, string? Value)[] values)
    {
        using var provider = Provider(values);
        return provider.GetRequiredService<IOptions<BusOptions>>().Value;
    }

    static OptionsValidationException Refused(params (string Key, string? Value)[] values) =>
        Assert.Throws<OptionsValidationException>(() => Options(values));

    [Fact]
    public async Task RabbitMqSettingsAreRead()
    {
        await using var provider = Provider(
            ("Bus:Transport", "RabbitMQ"), ("Bus:RabbitMq", "amqp://user:secret@10.0.0.5:5673/semanticmim"), ("Bus:Prefetch", "4"),
            ("Bus:StartTimeout", "00:00:30"));

        var options = provider.GetRequiredService<IOptions<BusOptions>>().Value;
        Assert.Equal(BusOptions.RabbitMqTransport, options.Transport);
        Assert.True(options.UsesRabbitMq);
        Assert.Equal("amqp://user:secret@10.0.0.5:5673/semanticmim", options.RabbitMq);
        Assert.Equal(4, options.Prefetch);
        Assert.Equal(TimeSpan.FromSeconds(30), options.StartTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), provider.GetRequiredService<IOptions<MassTransitHostOptions>>().Value.StartTimeout);
        Assert.Equal("rabbitmq", provider.GetRequiredService<IBus>().Address.Scheme);
    }

    [Fact]
    public async Task AnEmptySectionMeansTheEmbeddedInMemoryBus()
    {
        await using var provider = Provider();

        var options = provider.GetRequiredService<IOptions<BusOptions>>().Value;
        Assert.Equal(BusOptions.InMemoryTransport, options.Transport);
        Assert.Null(options.RabbitMq);
        Assert.Equal(BusOptions.DefaultPrefetch, options.Prefetch);
        Assert.Equal(BusOptions.DefaultStartTimeout, options.StartTimeout);
        Assert.Equal("loopback", provider.GetRequiredService<IBus>().Address.Scheme);
    }

    [Fact]
    public async Task ABrokerAddressAloneMeansRabbitMq()
    {
        (string, string?)[] values = [("Bus:RabbitMq", "amqp://guest:guest@127.0.0.1:5672/")];
        await using var provider = Provider(values);

        Assert.Equal(BusOptions.RabbitMqTransport, provider.GetRequiredService<IOptions<BusOptions>>().Value.Transport);
        Assert.True(BusOptions.ChoosesRabbitMq(Configuration(values)));
        Assert.Equal("rabbitmq", provider.GetRequiredService<IBus>().Address.Scheme);
    }

    [Fact]
    public void EveryProblemIsListedAtOnce()
    {
        var error = Refused(
            ("Bus:Transport", "kafka"),
            ("Bus:RabbitMq", "http://admin:hunter2@broker:5672/a/b"),
            ("Bus:Prefetch", "0"),
            ("Bus:StartTimeout", "-00:00:05"),
            ("Bus:Prefech", "8"));

        Assert.Collection(error.Failures,
            p => Assert.Contains("Bus:Prefech is not a known setting", p),
            p => Assert.Contains("Bus:Transport is 'kafka'; it must be one of: rabbitmq, inmemory", p),
            p => Assert.Contains("has the scheme 'http'", p),
            p => Assert.Contains("the path may only name one virtual host", p),
            p => Assert.Contains("Bus:Prefetch is 0", p),
            p => Assert.Contains("Bus:StartTimeout", p));
        foreach (var problem in error.Failures)
        {
            Assert.Contains(problem, error.Message);
        }

        Assert.DoesNotContain("hunter2", error.Message);
    }

    [Fact]
    public void RabbitMqWithoutABrokerIsRefused()
    {
        var error = Refused(("Bus:Transport", "rabbitmq"), ("Bus:Prefetch", "0"));

        Assert.Collection(error.Failures,
            p => Assert.Contains("Bus:RabbitMq is required when Bus:Transport is 'rabbitmq'", p),
            p => Assert.Contains("Bus:Prefetch is 0", p));
    }

    [Fact]
    public void AnUnreadableBrokerAddressIsOneProblemNotTwo()
    {
        var error = Refused(("Bus:Transport", "rabbitmq"), ("Bus:RabbitMq", "not a uri"));

        Assert.Contains("Bus:RabbitMq is not an absolute URI", Assert.Single(error.Failures));
    }

    [Theory]
    [InlineData("Bus:Prefetch", "many")]
    [InlineData("Bus:StartTimeout", "soon")]
    [InlineData("Bus:StartTimeout", "")]
    public async Task AValueThatIsNotOfItsTypeStopsTheHostNamingItsKey(string key, string value)
    {
        using var host = BuildHost(new() { [key] = value }, out var probe);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains($"'{key}'", error.Message);
        Assert.False(probe.Started);
    }

    [Fact]
    public async Task AnInvalidConfigurationStopsTheHostBeforeAnythingStarts()
    {
        using var host = BuildHost(new() { ["Bus:Transport"] = "carrier-pigeon" }, out var probe);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("carrier-pigeon", Assert.Single(error.Failures));
        Assert.False(probe.Started);
    }

    [Fact]
    public void OptionsGivenInCodeGetTheSameDefaultsAndChecks()
    {
        var services = new ServiceCollection();
        var embedded = new BusOptions();
        services.AddSemanticMimBus(embedded, _ => { });
        Assert.Equal(BusOptions.InMemoryTransport, embedded.Transport);
        using (var provider = services.BuildServiceProvider())
        {
            Assert.Same(embedded, provider.GetRequiredService<IOptions<BusOptions>>().Value);
        }

        var error = Assert.Throws<OptionsValidationException>(() =>
            new ServiceCollection().AddSemanticMimBus(new BusOptions { Transport = "kafka", Prefetch = 0 }, _ => { }));

        Assert.Collection(error.Failures,
            p => Assert.Contains("Bus:Transport is 'kafka'", p),
            p => Assert.Contains("Bus:Prefetch is 0", p));
    }

    [Fact]
    public void PasswordsAreRedacted()
    {
        Assert.Equal("amqp://user:***@host:5672/", BusOptions.Redact(new Uri("amqp://user:secret@host:5672/")));
        Assert.Equal("amqp://host:5672/", BusOptions.Redact(new Uri("amqp://host:5672/")));
    }

    /// <summary>A host joined to the bus from <paramref name="settings"/>, with a hosted service registered before the bus that records whether it started.</summary>
    static IHost BuildHost(Dictionary<string, string?> settings, out StartProbe probe)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        probe = new StartProbe();
        builder.Services.AddSingleton<IHostedService>(probe);
        builder.Services.AddSemanticMimBus(builder.Configuration, _ => { });
        return builder.Build();
    }

    sealed class StartProbe : IHostedService
    {
        public bool Started { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            Started = true;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
