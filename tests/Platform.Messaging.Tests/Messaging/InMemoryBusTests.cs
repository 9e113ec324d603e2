using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Messaging.Tests.Infrastructure;

namespace SemanticMIM.Platform.Messaging.Tests.Messaging;

public sealed class InMemoryBusTests
{
    [Fact]
    public async Task AConsumerReceivesAPublishedMessageOverTheInMemoryTransport()
    {
        var received = new Received<StartExperiment>();
        var host = await TestBus.StartAsync(TestBus.InMemory(),
            x => x.AddConsumer<RecordingStartExperimentConsumer, RecordingStartExperimentConsumerDefinition>(),
            services => services.AddSingleton(received));
        try
        {
            var id = Guid.NewGuid();
            await host.Services.GetRequiredService<IBus>().Publish(new StartExperiment { ExperimentId = id, SpecYaml = "name: in-memory" });

            var message = await received.WaitAsync(m => m.ExperimentId == id);
            Assert.Equal("name: in-memory", message.SpecYaml);
            Assert.False(host.Services.GetRequiredService<IOptions<BusOptions>>().Value.UsesRabbitMq);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
