using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SemanticMIM.Platform.Coordination;

/// <summary>Runs the <see cref="LeaseLeaderElector"/> for the host's lifetime; when the host stops, the leader gives the Lease up.</summary>
public sealed class LeaderElectionService(LeaseLeaderElector elector) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => elector.RunAsync(stoppingToken);
}

/// <summary>
/// Runs another hosted service only while this process leads: a fresh instance from the factory is started at the
/// start of each term of leadership (after the host has started) and stopped when the term ends or the host stops.
/// </summary>
public sealed partial class LeaderGatedHostedService : BackgroundService
{
    readonly ILeadership _leadership;
    readonly Func<IServiceProvider, IHostedService> _factory;
    readonly IServiceProvider _services;
    readonly IHostApplicationLifetime? _lifetime;
    readonly ILogger _logger;
    readonly string _name;

    public LeaderGatedHostedService(ILeadership leadership, Func<IServiceProvider, IHostedService> factory, IServiceProvider services,
        ILogger<LeaderGatedHostedService> logger, string name, IHostApplicationLifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(leadership);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(logger);
        _leadership = leadership;
        _factory = factory;
        _services = services;
        _lifetime = lifetime;
        _logger = logger;
        _name = name;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await HostStarted.WaitAsync(_lifetime, stoppingToken).ConfigureAwait(false);
            while (!stoppingToken.IsCancellationRequested)
            {
                var term = await _leadership.WaitForLeadershipAsync(stoppingToken).ConfigureAwait(false);
                if (term.IsCancellationRequested)
                {
                    await Task.Yield(); // a term that ended as it began
                    continue;
                }

                var inner = _factory(_services);
                LogStarting(_name);
                await inner.StartAsync(stoppingToken).ConfigureAwait(false);
                try
                {
                    await HostStarted.UntilCancelledAsync(term, stoppingToken).ConfigureAwait(false);
                }
                finally
                {
                    LogStopping(_name, stoppingToken.IsCancellationRequested ? "the host is stopping" : "this replica no longer leads");
                    try
                    {
                        await inner.StopAsync(CancellationToken.None).ConfigureAwait(false);
                    }
                    finally
                    {
                        await DisposeAsync(inner).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    static async ValueTask DisposeAsync(IHostedService service)
    {
        switch (service)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting {Service}: this replica leads")]
    partial void LogStarting(string service);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping {Service}: {Reason}")]
    partial void LogStopping(string service, string reason);
}

/// <summary>Small waits shared by the leader-gated services.</summary>
static class HostStarted
{
    /// <summary>Completes once the host has started (every hosted service, the bus included), or at once without a lifetime.</summary>
    public static Task WaitAsync(IHostApplicationLifetime? lifetime, CancellationToken cancellationToken)
    {
        if (lifetime is null || lifetime.ApplicationStarted.IsCancellationRequested)
        {
            return Task.CompletedTask;
        }

        return UntilCancelledAsync(lifetime.ApplicationStarted, cancellationToken, throwOnSecond: true);
    }

    /// <summary>Completes when <paramref name="first"/> is cancelled; throws when <paramref name="second"/> is (if asked to) or returns.</summary>
    public static async Task UntilCancelledAsync(CancellationToken first, CancellationToken second, bool throwOnSecond = false)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(first, second);
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!throwOnSecond || first.IsCancellationRequested)
        {
        }

        if (throwOnSecond && !first.IsCancellationRequested)
        {
            second.ThrowIfCancellationRequested();
        }
    }
}
