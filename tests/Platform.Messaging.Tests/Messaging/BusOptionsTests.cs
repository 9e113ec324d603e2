using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace SemanticMIM.Platform.Messaging.Tests.Messaging;

public sealed class BusOptionsTests
{
    static IConfiguration Configuration(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void RabbitMqSettingsAreRead()
    {
        var options = BusOptions.FromConfiguration(Configuration(
            ("Bus:Transport", "RabbitMQ"), ("Bus:RabbitMq", "amqp://user:secret@10.0.0.5:5673/semanticmim"), ("Bus:Prefetch", "4"),
            ("Bus:StartTimeout", "00:00:30")));

        Assert.Equal(BusOptions.RabbitMqTransport, options.Transport);
        Assert.True(options.UsesRabbitMq);
        Assert.Equal(new Uri("amqp://user:secret@10.0.0.5:5673/semanticmim"), options.RabbitMq);
        Assert.Equal(4, options.Prefetch);
        Assert.Equal(TimeSpan.FromSeconds(30), options.StartTimeout);
    }

    [Fact]
    public void AnEmptySectionMeansTheEmbeddedInMemoryBus()
    {
        var options = BusOptions.FromConfiguration(Configuration());

        Assert.Equal(BusOptions.InMemoryTransport, options.Transport);
        Assert.Null(options.RabbitMq);
        Assert.Equal(BusOptions.DefaultPrefetch, options.Prefetch);
    }

    [Fact]
    public void ABrokerAddressAloneMeansRabbitMq()
    {
        var options = BusOptions.FromConfiguration(Configuration(("Bus:RabbitMq", "amqp://guest:guest@127.0.0.1:5672/")));

        Assert.Equal(BusOptions.RabbitMqTransport, options.Transport);
    }

    [Fact]
    public void EveryProblemIsListedAtOnce()
    {
        var error = Assert.Throws<BusConfigurationException>(() => BusOptions.FromConfiguration(Configuration(
            ("Bus:Transport", "kafka"),
            ("Bus:RabbitMq", "http://admin:hunter2@broker:5672/a/b"),
            ("Bus:Prefetch", "many"),
            ("Bus:StartTimeout", "-00:00:05"),
            ("Bus:Prefech", "8"))));

        Assert.Collection(error.Problems,
            p => Assert.Contains("Bus:Prefech is not a known setting", p),
            p => Assert.Contains("Bus:Prefetch is 'many'", p),
            p => Assert.Contains("Bus:Transport is 'kafka'; it must be one of: rabbitmq, inmemory", p),
            p => Assert.Contains("has the scheme 'http'", p),
            p => Assert.Contains("the path may only name one virtual host", p),
            p => Assert.Contains("Bus:StartTimeout", p));
        Assert.Contains("6 problems", error.Message);
        foreach (var problem in error.Problems)
        {
            Assert.Contains(problem, error.Message);
        }

        Assert.DoesNotContain("hunter2", error.Message);
    }

    [Fact]
    public void RabbitMqWithoutABrokerIsRefused()
    {
        var error = Assert.Throws<BusConfigurationException>(() => BusOptions.FromConfiguration(Configuration(
            ("Bus:Transport", "rabbitmq"), ("Bus:Prefetch", "0"))));

        Assert.Equal(2, error.Problems.Count);
        Assert.Contains("Bus:RabbitMq is required when Bus:Transport is 'rabbitmq'", error.Problems[0]);
        Assert.Contains("Bus:Prefetch is 0", error.Problems[1]);
    }

    [Fact]
    public void AnUnreadableBrokerAddressIsOneProblemNotTwo()
    {
        var error = Assert.Throws<BusConfigurationException>(() => BusOptions.FromConfiguration(Configuration(
            ("Bus:Transport", "rabbitmq"), ("Bus:RabbitMq", "not a uri"))));

        var problem = Assert.Single(error.Problems);
        Assert.Contains("Bus:RabbitMq is not an absolute URI", problem);
    }

    [Fact]
    public void AddSemanticMimBusRefusesAnInvalidConfigurationBeforeAnythingStarts()
    {
        var services = new ServiceCollection();

        var error = Assert.Throws<BusConfigurationException>(() =>
            services.AddSemanticMimBus(Configuration(("Bus:Transport", "carrier-pigeon")), _ => { }));

        Assert.Contains("carrier-pigeon", Assert.Single(error.Problems));
    }

    [Fact]
    public void PasswordsAreRedacted()
    {
        Assert.Equal("amqp://user:***@host:5672/", BusOptions.Redact(new Uri("amqp://user:secret@host:5672/")));
        Assert.Equal("amqp://host:5672/", BusOptions.Redact(new Uri("amqp://host:5672/")));
    }
}
