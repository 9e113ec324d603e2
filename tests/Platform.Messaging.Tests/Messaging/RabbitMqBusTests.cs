using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Messaging.Tests.Infrastructure;

namespace SemanticMIM.Platform.Messaging.Tests.Messaging;

[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqBusTests(RabbitMqFixture broker)
{
    /// <summary>The exchange MassTransit publishes StartExperiment to (and a plain AMQP client must publish to).</summary>
    const string StartExperimentExchange = "SemanticMIM.Contracts.Messages:StartExperiment";

    const string MassTransitJson = "application/vnd.masstransit+json";

    [Fact]
    public async Task AConsumerReceivesAPublishedMessageOverRabbitMq()
    {
        var received = new Received<StartExperiment>();
        var host = await TestBus.StartAsync(broker.BusConfiguration(),
            x => x.AddConsumer<RecordingStartExperimentConsumer, RecordingStartExperimentConsumerDefinition>(),
            services => services.AddSingleton(received));
        try
        {
            var id = Guid.NewGuid();
            await host.Services.GetRequiredService<IBus>().Publish(new StartExperiment { ExperimentId = id, SpecYaml = "name: x", RequestedBy = "test" });

            var message = await received.WaitAsync(m => m.ExperimentId == id);
            Assert.Equal("name: x", message.SpecYaml);
            Assert.Equal("test", message.RequestedBy);

            // Kebab-case endpoint names: the consumer's queue is named after it.
            await using var connection = await broker.ConnectAsync();
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeclarePassiveAsync("recording-start-experiment");
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>The recipe of src/Platform/Messaging/README.md, published exactly so with a plain AMQP client.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task APlainAmqpClientTriggersAConsumerWithTheDocumentedEnvelope(bool withContentType)
    {
        var received = new Received<StartExperiment>();
        var endpoint = "raw-recipe-" + Guid.NewGuid().ToString("N")[..8];
        var host = await TestBus.StartAsync(broker.BusConfiguration(),
            x => x.AddConsumer<RecordingStartExperimentConsumer>().Endpoint(e => e.Name = endpoint),
            services => services.AddSingleton(received));
        try
        {
            var id = Guid.NewGuid();
            var body = $$"""
                {
                  "messageId": "{{Guid.NewGuid()}}",
                  "messageType": ["urn:message:SemanticMIM.Contracts.Messages:StartExperiment"],
                  "message": {
                    "experimentId": "{{id}}",
                    "specYaml": "name: raw\n",
                    "requestedBy": "plain-amqp"
                  }
                }
                """;

            await PublishRawAsync(body, withContentType);

            var message = await received.WaitAsync(m => m.ExperimentId == id);
            Assert.Equal("name: raw\n", message.SpecYaml);
            Assert.Equal("plain-amqp", message.RequestedBy);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task UnknownFieldsAreIgnored()
    {
        var received = new Received<StartExperiment>();
        var endpoint = "unknown-fields-" + Guid.NewGuid().ToString("N")[..8];
        var host = await TestBus.StartAsync(broker.BusConfiguration(),
            x => x.AddConsumer<RecordingStartExperimentConsumer>().Endpoint(e => e.Name = endpoint),
            services => services.AddSingleton(received));
        try
        {
            var id = Guid.NewGuid();
            var body = $$"""
                {
                  "messageId": "{{Guid.NewGuid()}}",
                  "messageType": ["urn:message:SemanticMIM.Contracts.Messages:StartExperiment"],
                  "envelopeFieldFromTheFuture": true,
                  "message": {
                    "experimentId": "{{id}}",
                    "specYaml": "name: newer-sender",
                    "priority": 7,
                    "labels": { "team": "vision" }
                  }
                }
                """;

            await PublishRawAsync(body, withContentType: true);

            var message = await received.WaitAsync(m => m.ExperimentId == id);
            Assert.Equal("name: newer-sender", message.SpecYaml);
            Assert.Null(message.RequestedBy);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Theory]
    [InlineData("""{ "experimentId": "ID", "requestedBy": "forgot-the-spec" }""",
        "JSON deserialization for type 'SemanticMIM.Contracts.Messages.StartExperiment' was missing required properties including: 'specYaml'.")]
    [InlineData("""{ "experimentId": "ID", "specYaml": null }""", "'specYaml' of StartExperiment is null")]
    public async Task AMessageMissingARequiredFieldEndsInTheErrorQueueAndIsNeverConsumed(string messageJson, string reason)
    {
        var received = new Received<StartExperiment>();
        var endpoint = "missing-required-" + Guid.NewGuid().ToString("N")[..8];
        var host = await TestBus.StartAsync(broker.BusConfiguration(),
            x => x.AddConsumer<RecordingStartExperimentConsumer>().Endpoint(e => e.Name = endpoint),
            services => services.AddSingleton(received));
        try
        {
            var id = Guid.NewGuid();
            var messageId = Guid.NewGuid().ToString();
            var body = $$"""
                {
                  "messageId": "{{messageId}}",
                  "messageType": ["urn:message:SemanticMIM.Contracts.Messages:StartExperiment"],
                  "message": {{messageJson.Replace("ID", id.ToString(), StringComparison.Ordinal)}}
                }
                """;

            await PublishRawAsync(body, withContentType: true);

            var faulted = await WaitForErrorAsync(endpoint + "_error", messageId);
            Assert.NotNull(faulted);
            Assert.StartsWith(reason, Header(faulted, "MT-Fault-Message"), StringComparison.Ordinal);
            Assert.Equal("System.Text.Json.JsonException", Header(faulted, "MT-Fault-ExceptionType"));
            Assert.Contains(id.ToString(), Encoding.UTF8.GetString(faulted.Body.Span));

            // Moved, not retried or consumed with a default SpecYaml.
            Assert.DoesNotContain(received.Messages, m => m.ExperimentId == id);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    async Task PublishRawAsync(string json, bool withContentType)
    {
        await using var connection = await broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();

        // What MassTransit declares for a message type: a durable fanout exchange named after it. Declaring it
        // with the same arguments is idempotent, and lets a client publish before any consumer has started.
        await channel.ExchangeDeclareAsync(StartExperimentExchange, ExchangeType.Fanout, durable: true, autoDelete: false);

        var properties = new BasicProperties { DeliveryMode = DeliveryModes.Persistent, MessageId = Guid.NewGuid().ToString() };
        if (withContentType)
        {
            properties.ContentType = MassTransitJson;
        }

        await channel.BasicPublishAsync(StartExperimentExchange, routingKey: "", mandatory: false, properties, Encoding.UTF8.GetBytes(json));
    }

    async Task<BasicGetResult?> WaitForErrorAsync(string queue, string messageId)
    {
        await using var connection = await broker.ConnectAsync();
        IChannel? channel = null;
        BasicGetResult? found = null;
        try
        {
            await TestBus.EventuallyAsync(async () =>
            {
                channel ??= await connection.CreateChannelAsync();
                try
                {
                    var result = await channel.BasicGetAsync(queue, autoAck: true);
                    if (result is not null && Encoding.UTF8.GetString(result.Body.Span).Contains(messageId, StringComparison.Ordinal))
                    {
                        found = result;
                    }
                }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
                {
                    // The error queue does not exist before the first fault, and the broker closed the channel.
                    await channel.DisposeAsync();
                    channel = null;
                }

                return found is not null;
            });
        }
        finally
        {
            if (channel is not null)
            {
                await channel.DisposeAsync();
            }
        }

        return found;
    }

    static string Header(BasicGetResult result, string name)
    {
        Assert.NotNull(result.BasicProperties.Headers);
        Assert.True(result.BasicProperties.Headers.TryGetValue(name, out var value), $"no header {name}");
        return value switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            _ => value?.ToString() ?? "",
        };
    }
}
