using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SemanticMIM.Platform.Coordination;
using SemanticMIM.Platform.Kubernetes.Tests.Fakes;
using SemanticMIM.Platform.Messaging;

namespace SemanticMIM.Platform.Kubernetes.Tests.Coordination;

public sealed record LeaderPing(int Number);

public sealed record EveryonePing(int Number);

public sealed class LeaderPingConsumer(ConcurrentQueue<int> received) : IConsumer<LeaderPing>
{
    public Task Consume(ConsumeContext<LeaderPing> context)
    {
        received.Enqueue(context.Message.Number);
        return Task.CompletedTask;
    }
}

/// <summary>Two consumers on one queue, as the orchestrator's consumers share <c>orchestrator</c>.</summary>
public sealed class LeaderPingConsumerDefinition : ConsumerDefinition<LeaderPingConsumer>
{
    public LeaderPingConsumerDefinition()
    {
        EndpointName = "leader-only";
        ConcurrentMessageLimit = 2;
    }
}

public sealed class SecondLeaderPingConsumer(ConcurrentQueue<string> log) : IConsumer<LeaderPing>
{
    public Task Consume(ConsumeContext<LeaderPing> context)
    {
        log.Enqueue($"second:{context.Message.Number}");
        return Task.CompletedTask;
    }
}

public sealed class SecondLeaderPingConsumerDefinition : ConsumerDefinition<SecondLeaderPingConsumer>
{
    public SecondLeaderPingConsumerDefinition() => EndpointName = "leader-only";
}

public sealed class EveryonePingConsumer(ConcurrentQueue<string> log) : IConsumer<EveryonePing>
{
    public Task Consume(ConsumeContext<EveryonePing> context)
    {
        log.Enqueue($"everyone:{context.Message.Number}");
        return Task.CompletedTask;
    }
}

public sealed class LeaderOnlyConsumersTests
{
    [Fact]
    public async Task Leader_only_endpoints_consume_only_while_leading_and_come_back_in_a_new_term()
    {
        var leadership = new SwitchedLeadership();
        var received = new ConcurrentQueue<int>();
        var log = new ConcurrentQueue<string>();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddFilter(level => level >= LogLevel.Warning);
        builder.Services.AddSingleton(received);
        builder.Services.AddSingleton(log);
        builder.Services.AddSingleton<ILeadership>(leadership);
        builder.Services.AddSemanticMimBus(new BusOptions(), bus =>
        {
            bus.AddConsumer<EveryonePingConsumer>();
            bus.AddLeaderOnlyConsumers(leaderOnly =>
            {
                leaderOnly.AddConsumer<LeaderPingConsumer, LeaderPingConsumerDefinition>();
                leaderOnly.AddConsumer<SecondLeaderPingConsumer, SecondLeaderPingConsumerDefinition>();
            });
        });
        using var host = builder.Build();
        using var timeout = new CancellationTokenSource(TestSupport.Timeout);
        await host.StartAsync(timeout.Token);
        var bus = host.Services.GetRequiredService<IBus>();
        var endpoints = host.Services.GetServices<IHostedService>().OfType<LeaderOnlyReceiveEndpoints>().Single();
        var sets = host.Services.GetServices<LeaderOnlyConsumerSet>().ToList();
        Assert.Equal([typeof(LeaderPingConsumer), typeof(SecondLeaderPingConsumer)], Assert.Single(sets).ConsumerTypes);

        // Not leading: the bus runs (other consumers consume), the leader-only endpoint does not exist.
        await bus.Publish(new EveryonePing(1));
        Assert.True(await TestSupport.EventuallyAsync(() => log.Contains("everyone:1")), "the bus does not run while not leading");
        await bus.Publish(new LeaderPing(1));
        await Task.Delay(300);
        Assert.Empty(received);
        Assert.False(endpoints.Connected);

        leadership.Lead();
        Assert.True(await TestSupport.EventuallyAsync(() => endpoints.Connected), "the endpoint was not connected");
        await bus.Publish(new LeaderPing(2));
        Assert.True(await TestSupport.EventuallyAsync(() => received.Contains(2) && log.Contains("second:2")), "not consumed while leading");

        leadership.Resign();
        Assert.True(await TestSupport.EventuallyAsync(() => !endpoints.Connected), "the endpoint was not stopped");
        await bus.Publish(new LeaderPing(3));
        await Task.Delay(300);
        Assert.DoesNotContain(3, received);

        // A new term connects the endpoint again (same queue name): the message that waited in its queue is consumed.
        leadership.Lead();
        Assert.True(await TestSupport.EventuallyAsync(() => endpoints.Connected && endpoints.Terms == 2), "the endpoint did not come back");
        await bus.Publish(new LeaderPing(4));
        Assert.True(await TestSupport.EventuallyAsync(() => received.Contains(3) && received.Contains(4)), $"received: {string.Join(", ", received)}");

        await host.StopAsync(timeout.Token);
        Assert.False(endpoints.Connected);
    }

    [Fact]
    public async Task Without_an_election_the_endpoints_run_from_the_start()
    {
        var received = new ConcurrentQueue<int>();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddFilter(level => level >= LogLevel.Warning);
        builder.Services.AddSingleton(received);
        builder.Services.AddSemanticMimBus(new BusOptions(), bus =>
            bus.AddLeaderOnlyConsumers(leaderOnly => leaderOnly.AddConsumer<LeaderPingConsumer, LeaderPingConsumerDefinition>()));
        using var host = builder.Build();
        using var timeout = new CancellationTokenSource(TestSupport.Timeout);
        await host.StartAsync(timeout.Token);

        Assert.IsType<AlwaysLeader>(host.Services.GetRequiredService<ILeadership>());
        var endpoints = host.Services.GetServices<IHostedService>().OfType<LeaderOnlyReceiveEndpoints>().Single();
        Assert.True(await TestSupport.EventuallyAsync(() => endpoints.Connected), "the endpoint was not connected");
        await host.Services.GetRequiredService<IBus>().Publish(new LeaderPing(7));
        Assert.True(await TestSupport.EventuallyAsync(() => received.Contains(7)), "not consumed");
        await host.StopAsync(timeout.Token);
    }
}
