using MassTransit.Logging;
using MassTransit.Monitoring;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Messaging;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Platform.Telemetry;

namespace SemanticMIM.Platform.Hosting;

/// <summary>
/// What every SemanticMIM service host shares (after dotnet/eShop's ServiceDefaults): logs, metrics, traces, health
/// checks and their endpoints (<see cref="AddServiceDefaults"/>, <see cref="MapDefaultEndpoints"/>), the object store
/// behind its Polly pipeline (<see cref="AddObjectStore"/>) and the message bus with the consumers the host's roles
/// registered (<see cref="AddBus(IHostApplicationBuilder)"/>, last in a host's composition). It listens where ASP.NET Core's configuration says:
/// <c>ASPNETCORE_URLS</c>, <c>ASPNETCORE_HTTP_PORTS</c> (set to 8080 by the .NET container images), or the
/// <c>Urls</c> key of any configuration source (<c>--urls</c> on the command line, appsettings.json).
/// </summary>
public static class ServiceDefaults
{
    public const string LivePath = "/health/live";

    public const string ReadyPath = "/health/ready";

    public const string MetricsPath = "/metrics";

    /// <summary>The tag of health checks that tell whether the process lives (restart it if not).</summary>
    public const string LiveTag = "live";

    /// <summary>The tag MassTransit gives its bus health check, and that others use for "can take work".</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Console logs with UTC timestamps; OpenTelemetry metrics (the <c>SemanticMIM</c> and <c>MassTransit</c> meters,
    /// ASP.NET Core, HttpClient, the .NET runtime) exported for Prometheus; traces from MassTransit and ASP.NET Core;
    /// a <c>live</c> health check; and <see cref="SemanticMimMetrics"/> as a singleton.
    /// </summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });

        builder.Services.AddSemanticMimMetrics();

        // Before any bus exists: MassTransit's metrics on a process-lifetime meter, labelled with this service's name.
        MassTransitInstrumentation.ConfigureProcessWide(serviceName);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceInstanceId: Environment.MachineName))
            .WithMetrics(metrics => metrics
                .AddMeter(SemanticMimMetrics.MeterName, InstrumentationOptions.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(DiagnosticHeaders.DefaultListenerName)
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !IsInfrastructurePath(context.Request.Path))
                .AddHttpClientInstrumentation());

        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy("the process answers"), [LiveTag]);

        return builder;
    }

    /// <summary>
    /// <c>/health/live</c> (checks tagged <c>live</c>: 200 while the process answers), <c>/health/ready</c> (every
    /// check, MassTransit's bus check included: 200 once the bus is connected and its endpoints are ready, 503
    /// otherwise), both answering JSON with each check's status; and <c>/metrics</c> for Prometheus.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks(LivePath, new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(LiveTag),
            ResponseWriter = HealthReportWriter.WriteAsync,
        });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions
        {
            Predicate = _ => true,
            ResponseWriter = HealthReportWriter.WriteAsync,
        });
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }

    /// <summary>
    /// The object store of the <c>Storage</c> section (a folder or an S3 bucket, retried and circuit-broken by
    /// <see cref="Resilience.ResilientObjectStore"/>) and <see cref="StoreFiles"/> over it, with its local cache
    /// folder from the <c>Cache</c> section (<see cref="CacheOptions"/>).
    /// </summary>
    public static IHostApplicationBuilder AddObjectStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSemanticMimObjectStore(builder.Configuration);
        builder.Services.AddStoreFiles(builder.Environment.ApplicationName);
        return builder;
    }

    /// <summary><see cref="StoreFiles"/> over the registered store, caching under <see cref="CacheOptions"/>'s folder.</summary>
    public static IServiceCollection AddStoreFiles(this IServiceCollection services, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddValidatedOptions<CacheOptions, CacheOptionsValidator>(CacheOptions.SectionName);
        services.TryAddSingleton(provider => new StoreFiles(provider.GetRequiredService<IObjectStore>(),
            provider.GetRequiredService<IOptions<CacheOptions>>().Value.FolderFor(serviceName)));
        return services;
    }

    /// <summary>
    /// The message bus of the <c>Bus</c> section (RabbitMQ, or in memory) with every consumer the host's roles added
    /// through <see cref="BusConsumersExtensions.AddBusConsumers"/>; called after them.
    /// </summary>
    public static IHostApplicationBuilder AddBus(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var consumers = BusConsumers.Of(builder.Services);
        builder.Services.AddSemanticMimBus(builder.Configuration, consumers.RegisterOn);
        return builder;
    }

    /// <summary>The bus with the given <paramref name="options"/> (the embedded run's in-memory bus) and the roles' consumers.</summary>
    public static IHostApplicationBuilder AddBus(this IHostApplicationBuilder builder, BusOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var consumers = BusConsumers.Of(builder.Services);
        builder.Services.AddSemanticMimBus(options, consumers.RegisterOn);
        return builder;
    }

    static bool IsInfrastructurePath(PathString path) =>
        path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments(MetricsPath, StringComparison.OrdinalIgnoreCase);
}
