using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SemanticMIM.Platform.Messaging.Tests.Infrastructure;

/// <summary>Generic hosts joined to a bus through <see cref="BusRegistration.AddSemanticMimBus(IServiceCollection, IConfiguration, Action{IBusRegistrationConfigurator})"/>.</summary>
public static class TestBus
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static Dictionary<string, string?> InMemory() => new() { ["Bus:Transport"] = "inmemory" };

    /// <summary>Builds and starts a host; it returns once the bus is started (MassTransitHostOptions.WaitUntilStarted).</summary>
    public static async Task<IHost> StartAsync(Dictionary<string, string?> configuration, Action<IBusRegistrationConfigurator> registerConsumers,
        Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.AddFilter(level => level >= LogLevel.Warning).AddSimpleConsole();
        services?.Invoke(builder.Services);
        builder.Services.AddSemanticMimBus(builder.Configuration, registerConsumers);
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(Timeout);
        await host.StartAsync(timeout.Token);
        return host;
    }

    public static async Task StopAsync(this IHost host)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        await host.StopAsync(timeout.Token);
        host.Dispose();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <see cref="Timeout"/> passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Timeout);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return await condition();
    }
}
