using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Messaging.Tests.Infrastructure;

namespace SemanticMIM.Platform.Messaging.Tests.Messaging;

/// <summary>
/// A job's events while the broker is away: queuing never waits for it, and the events go out in order once it is
/// back. The outage is a publish observer that fails every publish while it is on, as an unreachable broker does.
/// </summary>
public sealed class BackgroundPublisherTests
{
    [Fact]
    public async Task Events_queued_during_an_outage_return_at_once_and_are_published_in_order_when_the_broker_is_back()
    {
        var received = new Received<StartExperiment>();
        var host = await TestBus.StartAsync(TestBus.InMemory(), bus => bus.AddConsumer<RecordingStartExperimentConsumer, RecordingStartExperimentConsumerDefinition>(),
            services => services.AddSingleton(received));
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            var outage = new Outage { Down = true };
            using var observer = bus.ConnectPublishObserver(outage);
            await using var publisher = new BackgroundPublisher(bus, NullLogger.Instance, firstDelay: TimeSpan.FromMilliseconds(20));
            var events = Enumerable.Range(1, 5).Select(i => new StartExperiment { ExperimentId = Guid.NewGuid(), SpecYaml = $"{i}" }).ToList();

            var clock = System.Diagnostics.Stopwatch.StartNew();
            foreach (var message in events)
            {
                publisher.Enqueue(message);
            }
            var queuing = clock.Elapsed;
            var flushed = publisher.FlushAsync(CancellationToken.None);
            // Wait for retries rather than a fixed time: on a loaded machine the first attempt alone can take 500 ms.
            var retrying = System.Diagnostics.Stopwatch.StartNew();
            while (outage.Refused < 2 && retrying.Elapsed < TestBus.Timeout)
            {
                await Task.Delay(20);
            }
            bool retried = outage.Refused >= 2;
            bool flushedDuringOutage = flushed.IsCompleted;
            outage.Down = false;
            await flushed.WaitAsync(TestBus.Timeout);
            await received.WaitAsync(m => m.SpecYaml == "5");

            Assert.True(queuing < TimeSpan.FromSeconds(1), $"queuing five events took {queuing.TotalMilliseconds:F0} ms during the outage");
            Assert.False(flushedDuringOutage, "the flush completed while nothing could be published");
            Assert.True(retried, $"only {outage.Refused} publish attempts were made during the outage");
            Assert.Equal(events.Select(e => e.SpecYaml), received.Messages.Select(m => m.SpecYaml));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>Fails every publish while <see cref="Down"/>.</summary>
    private sealed class Outage : IPublishObserver
    {
        private int _refused;

        public volatile bool Down;

        public int Refused => Volatile.Read(ref _refused);

        public Task PrePublish<T>(PublishContext<T> context) where T : class
        {
            if (Down)
            {
                Interlocked.Increment(ref _refused);
                throw new InvalidOperationException("the broker is unreachable");
            }
            return Task.CompletedTask;
        }

        public Task PostPublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

        public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }
}
