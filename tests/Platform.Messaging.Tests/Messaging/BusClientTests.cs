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
