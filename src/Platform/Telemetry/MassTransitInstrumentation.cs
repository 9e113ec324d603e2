using MassTransit.Logging;
using MassTransit.Monitoring;

namespace SemanticMIM.Platform.Telemetry;

/// <summary>
/// Turns on MassTransit's metrics (meter <c>MassTransit</c>) once per process, on a meter that lives as long as the
/// process.
/// </summary>
/// <remarks>
/// MassTransit 8.5 configures its instruments once per process (static state), on the first bus it creates, with a
/// meter from that host's <c>IMeterFactory</c>. When that host is disposed, the factory disposes the meter and
/// MassTransit's metrics stop for good, for every later host of the process (a second embedded run, a test suite).
/// Configuring them first, without a factory, avoids that; the service name it labels metrics with
/// (<c>messaging_masstransit_service</c>) is the first one given here.
/// </remarks>
public static class MassTransitInstrumentation
{
    static readonly Lock Gate = new();
    static bool _configured;

    /// <summary>Configures MassTransit's instruments unless something did already; later calls change nothing.</summary>
    public static void ConfigureProcessWide(string? serviceName = null)
    {
        lock (Gate)
        {
            if (_configured)
            {
                return;
            }

            var options = new InstrumentationOptions();
            new ConfigureDefaultInstrumentationOptions().Configure(options);
            if (!string.IsNullOrWhiteSpace(serviceName))
            {
                options.ServiceName = serviceName;
            }

            LogContextInstrumentationExtensions.TryConfigure(options);
            _configured = true;
        }
    }
}
