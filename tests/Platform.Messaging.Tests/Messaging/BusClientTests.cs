using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Options;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Messaging.Tests.Infrastructure;

namespace SemanticMIM.Platform.Messaging.Tests.Messaging;

[Collection(RabbitMqCollection.Name)]
public sealed class BusClientTests(RabbitMqFixture broker)
{
    [Fact]
    public async Task AClientPublishesWatchesEventsAndAsksQuestionsOfAHostedService()
    {
        var host = await TestBus.StartAsync(broker.BusConfiguration(), x =>
        {
            x.AddConsumer<AcceptingConsumer>();
            x.AddConsumer<StatusResponder>();
        });
        try
        {
            await using var client = await BusClient.CreateAsync(broker.AmqpUri);
            Assert.DoesNotContain("guest:guest", client.Broker);

            var id = Guid.NewGuid();
            var accepted = new TaskCompletionSource<ExperimentAccepted>(TaskCreationOptions.RunContinuationsAsynchronously);
            var others = new ConcurrentBag<ExperimentFailed>();
            await using (var events = await client.SubscribeAsync(s => s
                             .On<ExperimentAccepted>(e =>
                             {
                                 if (e.ExperimentId == id)
                                 {
                                     accepted.TrySetResult(e);
                                 }
                             })
                             .On<ExperimentFailed>(others.Add)))
            {
                await client.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = "name: cli", RequestedBy = "cli" });

                var acceptedEvent = await accepted.Task.WaitAsync(TestBus.Timeout);
                Assert.Equal("accepted-cli", acceptedEvent.Name);
                Assert.Null(events.FirstError);
                Assert.Empty(others);
            }

            var status = await client.RequestAsync<GetExperimentStatus, ExperimentStatus>(new GetExperimentStatus { ExperimentId = id });
            Assert.Equal(id, status.ExperimentId);
            Assert.Equal("running", status.State);
            Assert.Equal("pretrain", status.Stage);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task ASubscriptionQueueIsDurableKeepsEventsWhileItsConsumerIsAwayAndExpiresWhenUnused()
    {
        await using var client = await BusClient.CreateAsync(broker.AmqpUri);
        var id = Guid.NewGuid();
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var events = await client.SubscribeAsync(s => s.On<ExperimentAccepted>(e =>
        {
            if (e.ExperimentId == id)
            {
                received.TrySetResult();
            }
        }));
        await client.PublishAsync(new ExperimentAccepted { ExperimentId = id, Name = "live" });
        await received.Task.WaitAsync(TestBus.Timeout);
        string queue = events.Queue;
        await events.DisposeAsync();

        await using var connection = await broker.ConnectAsync();
        await using (var channel = await connection.CreateChannelAsync())
        {
            // The broker accepts a declaration only when it matches the queue's: durable, kept, expiring.
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-expires"] = (long)BusClient.SubscriptionQueueExpiry.TotalMilliseconds });
        }
        await Assert.ThrowsAnyAsync<RabbitMQ.Client.Exceptions.OperationInterruptedException>(async () =>
        {
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true);
        });

        // No consumer now (as while a client reconnects after a broker restart): the queue keeps what is published.
        await client.PublishAsync(new ExperimentAccepted { ExperimentId = id, Name = "while away" });
        await using var check = await connection.CreateChannelAsync();
        Assert.True(await TestBus.EventuallyAsync(async () => (await check.QueueDeclarePassiveAsync(queue)).MessageCount == 1, TestBus.Timeout),
            "the event published while the subscription had no consumer was not kept in its queue");
        await check.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
    }

    [Fact]
    public async Task ARequestNobodyAnswersTimesOut()
    {
        await using var client = await BusClient.CreateAsync(broker.AmqpUri);

        await Assert.ThrowsAsync<RequestTimeoutException>(() =>
            client.RequestAsync<CancelExperiment, ExperimentStatus>(new CancelExperiment { ExperimentId = Guid.NewGuid() }, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task AnUnreachableBrokerFailsFastWithAClearMessage()
    {
        var closedPort = InfrastructureScript.FreePort();

        var error = await Assert.ThrowsAsync<BusConnectionException>(() =>
            BusClient.CreateAsync(new Uri($"amqp://guest:secret@127.0.0.1:{closedPort}/"), TimeSpan.FromSeconds(5)));

        Assert.Contains($"127.0.0.1:{closedPort}", error.Message);
        Assert.Contains("refused", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secret", error.Message);
    }

    [Fact]
    public async Task WrongCredentialsFailWithinTheTimeoutWithAClearMessage()
    {
        var wrong = new UriBuilder(broker.AmqpUri) { UserName = "guest", Password = "wrong-password" }.Uri;

        var error = await Assert.ThrowsAsync<BusConnectionException>(() => BusClient.CreateAsync(wrong, TimeSpan.FromSeconds(3)));

        Assert.Contains("within 3 s", error.Message);
        Assert.Contains("ACCESS_REFUSED", error.Message);
        Assert.DoesNotContain("wrong-password", error.Message);
    }

    [Fact]
    public async Task ABrokerAddressThatIsNotAmqpIsRefused()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => BusClient.CreateAsync(new Uri("http://127.0.0.1:15672/")));

        Assert.Contains("scheme 'http'", Assert.Single(error.Failures));
    }
}
