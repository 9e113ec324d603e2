using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Messaging.Tests.Infrastructure;

namespace SemanticMIM.Platform.Messaging.Tests.Messaging;

/// <summary>
/// The consumers' queues on a real RabbitMQ: quorum queues that count deliveries, so that a poison message (one whose
/// consumer dies each time before acknowledging it) reaches the error queue instead of coming back forever; and the
/// upgrade of a deployment's existing classic queues, which cannot change type in place.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class QuorumQueueTests(RabbitMqFixture broker)
{
    const int DeliveryLimit = 2;

    [Fact]
    public async Task A_message_redelivered_past_the_delivery_limit_goes_to_the_error_queue()
    {
        string queue = "poison-" + Guid.NewGuid().ToString("N")[..8];
        var host = await StartConsumerAsync(queue, BusOptions.QuorumQueues, new Received<StartExperiment>());
        await host.StopAsync();

        await using var connection = await broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        // The error queue exists before any fault, so the first dead letter has somewhere to go.
        await channel.ExchangeDeclarePassiveAsync(BusRegistration.ErrorQueue(queue));
        await channel.QueueDeclarePassiveAsync(BusRegistration.ErrorQueue(queue));
        // Confirmed, so that the message is in the queue before the first get; published on a channel of its own (see QueueUpgrade).
        await using (var publisher = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true)))
        {
            await publisher.BasicPublishAsync("", queue, mandatory: true, new BasicProperties { Persistent = true }, "poison"u8.ToArray());
        }
        // As a consumer that crashes each time: every delivery goes back unacknowledged.
        int deliveries = 0;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            if (await channel.BasicGetAsync(queue, autoAck: false) is not { } message)
            {
                break;
            }
            deliveries++;
            await channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true);
        }
        var dead = await WaitForMessageAsync(channel, BusRegistration.ErrorQueue(queue), $"after {deliveries} deliveries");

        Assert.InRange(deliveries, DeliveryLimit, DeliveryLimit + 1);
        Assert.Equal("poison", System.Text.Encoding.UTF8.GetString(dead.Body.Span));
    }

    [Fact]
    public async Task Classic_queues_are_upgraded_to_quorum_queues_keeping_their_messages()
    {
        string queue = "upgrade-" + Guid.NewGuid().ToString("N")[..8];
        var received = new Received<StartExperiment>();
        // The deployment before the upgrade: its consumer queue is a classic one; messages wait in it while it is stopped.
        var before = await StartConsumerAsync(queue, BusOptions.ClassicQueues, received);
        await before.StopAsync();
        await using (var client = await BusClient.CreateAsync(broker.AmqpUri, TestBus.Timeout))
        {
            for (var i = 0; i < 3; i++)
            {
                await client.PublishAsync(new StartExperiment { ExperimentId = Guid.NewGuid(), SpecYaml = queue, RequestedBy = $"{i}" });
            }
        }
        // The new version cannot start on the old queue: the broker refuses a quorum declaration of a classic queue.
        // (Declared here with a plain client: a MassTransit host refused its queue retries its endpoint and does not always fail its start.)
        var refused = await Assert.ThrowsAnyAsync<RabbitMQ.Client.Exceptions.OperationInterruptedException>(async () =>
        {
            await using var connection = await broker.ConnectAsync();
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                arguments: BusRegistration.QuorumArguments(queue, Options(BusOptions.QuorumQueues)).ToDictionary(pair => pair.Key, pair => (object?)pair.Value));
        });

        var results = await QueueUpgrade.UpgradeAsync(broker.AmqpUri, [queue, "no-such-queue-" + queue], Options(BusOptions.QuorumQueues));
        var after = await StartConsumerAsync(queue, BusOptions.QuorumQueues, received);
        // Run again once the new version has declared its queues (the error queue too): nothing left to upgrade.
        var again = await QueueUpgrade.UpgradeAsync(broker.AmqpUri, [queue], Options(BusOptions.QuorumQueues));
        try
        {
            foreach (var i in new[] { "0", "1", "2" })
            {
                await received.WaitAsync(m => m.SpecYaml == queue && m.RequestedBy == i);
            }
        }
        finally
        {
            await after.StopAsync();
        }

        Assert.Contains("PRECONDITION_FAILED - inequivalent arg", refused.ToString(), StringComparison.Ordinal);
        // The old deployment had no error queue yet (nothing failed); the consumer queue kept its three messages.
        Assert.Equal([("absent: nothing to upgrade", 0), ("upgraded from classic to quorum", 3), ("absent: nothing to upgrade", 0), ("absent: nothing to upgrade", 0)],
            results.Select(r => (r.Outcome, r.MessagesMoved)));
        Assert.Equal([BusRegistration.ErrorQueue(queue), queue], results.Take(2).Select(r => r.Queue));
        Assert.Equal(["already a quorum queue", "already a quorum queue"], again.Select(r => r.Outcome));
        Assert.Equal(3, received.Messages.Count(m => m.SpecYaml == queue));
    }

    /// <summary>A host with one consumer on <paramref name="queue"/>; a host that fails to start is stopped, so it declares nothing later.</summary>
    async Task<IHost> StartConsumerAsync(string queue, string queueType, Received<StartExperiment> received)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(broker.BusConfiguration());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Bus:QueueType"] = queueType,
            ["Bus:DeliveryLimit"] = $"{DeliveryLimit}",
            ["Bus:StartTimeout"] = TestBus.Timeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.Services.AddSingleton(received);
        builder.Services.AddSemanticMimBus(builder.Configuration, x => x.AddConsumer<RecordingStartExperimentConsumer>().Endpoint(e => e.Name = queue));
        var host = builder.Build();
        try
        {
            await host.StartAsync();
            return host;
        }
        catch
        {
            using var stop = new CancellationTokenSource(TestBus.Timeout);
            await host.StopAsync(stop.Token);
            host.Dispose();
            throw;
        }
    }

    static BusOptions Options(string queueType) => new() { QueueType = queueType, DeliveryLimit = DeliveryLimit };

    static async Task<BasicGetResult> WaitForMessageAsync(IChannel channel, string queue, string context)
    {
        var deadline = DateTime.UtcNow + TestBus.Timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
            {
                return message;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"no message reached {queue} within {TestBus.Timeout} ({context})");
    }
}
