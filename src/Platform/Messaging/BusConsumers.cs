using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace SemanticMIM.Platform.Messaging;

/// <summary>
/// The consumers a host's roles register before the bus is added (<c>builder.AddBus()</c>, last in a host's
/// composition): each role adds its own, and the bus configures them all in one MassTransit registration.
/// </summary>
public sealed class BusConsumers
{
    private readonly List<Action<IBusRegistrationConfigurator>> _registrations = [];

    /// <summary>True once the bus has taken the registrations; later ones would never be configured.</summary>
    public bool IsSealed { get; private set; }

    /// <summary>The host's collection of consumer registrations, created on first use.</summary>
    public static BusConsumers Of(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.FirstOrDefault(d => d.ServiceType == typeof(BusConsumers))?.ImplementationInstance is BusConsumers existing)
        {
            return existing;
        }
        var consumers = new BusConsumers();
        services.AddSingleton(consumers);
        return consumers;
    }

    public void Add(Action<IBusRegistrationConfigurator> registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        if (IsSealed)
        {
            throw new InvalidOperationException("consumers must be registered before the bus is added (AddBus comes last in a host's composition)");
        }
        _registrations.Add(registration);
    }

    /// <summary>Applies every registration to the bus, once.</summary>
    public void RegisterOn(IBusRegistrationConfigurator bus)
    {
        IsSealed = true;
        foreach (var registration in _registrations)
        {
            registration(bus);
        }
    }
}

public static class BusConsumersExtensions
{
    /// <summary>Adds consumers to the host's bus (see <see cref="BusConsumers"/>).</summary>
    public static IServiceCollection AddBusConsumers(this IServiceCollection services, Action<IBusRegistrationConfigurator> registration)
    {
        BusConsumers.Of(services).Add(registration);
        return services;
    }
}
