using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SemanticMIM.Platform.Coordination;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Jobs.Agents;
using SemanticMIM.Platform.Jobs.Kubernetes;

namespace SemanticMIM.Platform.Jobs;

/// <summary>How hosts launch jobs (the orchestrator) and run them (the trainer and evaluator).</summary>
public static class JobHosting
{
    /// <summary>The value of <c>Jobs:Launcher</c> for job agents over the broker (the default).</summary>
    public const string AgentsLauncher = "agents";

    /// <summary>
    /// The orchestrator's launcher, chosen by <c>Jobs:Launcher</c>: <c>kubernetes</c> creates Kubernetes Jobs (see
    /// <see cref="KubernetesJobsOptions"/>); <c>agents</c> (the default, for deployments without Kubernetes) queues job
    /// requests for the trainer and evaluator hosts' job agents and supervises them (<see cref="JobAgentSupervisionOptions"/>).
    /// </summary>
    public static IHostApplicationBuilder AddJobLauncher(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (KubernetesJobsOptions.IsSelected(builder.Configuration))
        {
            builder.Services.AddKubernetesJobs(builder.Configuration);
        }
        else
        {
            builder.Services.AddJobAgentsLauncher();
        }
        return builder;
    }

    /// <summary>Launches jobs on job agents: <see cref="BrokerJobLauncher"/> and its <see cref="JobAgentSupervisor"/>.</summary>
    public static IServiceCollection AddJobAgentsLauncher(this IServiceCollection services)
    {
        services.AddValidatedOptions<JobAgentSupervisionOptions, JobAgentSupervisionOptionsValidator>(JobAgentSupervisionOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<JobRecords>();
        services.TryAddSingleton<ILeadership, AlwaysLeader>();
        services.TryAddSingleton<IJobEndListener, NoOpJobEndListener>();
        services.TryAddSingleton<BrokerJobLauncher>();
        services.TryAddSingleton<IJobLauncher>(provider => provider.GetRequiredService<BrokerJobLauncher>());
        services.AddHostedService<JobAgentSupervisor>();
        return services;
    }

    /// <summary>
    /// A trainer or evaluator host: <typeparamref name="TRunner"/> does the work of the <paramref name="kinds"/> it
    /// runs (the first is its main kind). With a <c>Job</c> section (<see cref="JobOptions"/>, set by the Kubernetes
    /// launcher) the host runs that one job and exits (<see cref="RunJobsAsync"/>); without it the host is a
    /// long-running <see cref="JobAgent"/> (configuration section <c>JobAgent</c>).
    /// </summary>
    public static IHostApplicationBuilder AddJobs<TRunner>(this IHostApplicationBuilder builder, params string[] kinds)
        where TRunner : class, IJobRunner
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (kinds.Length == 0 || kinds.Any(kind => !JobKinds.All.Contains(kind, StringComparer.Ordinal)))
        {
            throw new ArgumentException($"a job host runs one or more of: {string.Join(", ", JobKinds.All)}", nameof(kinds));
        }
        builder.Services.AddSingleton(new JobHostKinds(kinds));
        builder.Services.AddScoped<IJobRunner, TRunner>();
        builder.Services.AddValidatedOptions<JobOptions, JobOptionsValidator>(JobOptions.SectionName);
        if (!IsOneJob(builder))
        {
            builder.Services.AddValidatedOptions<JobAgentOptions, JobAgentOptionsValidator>(JobAgentOptions.SectionName);
            builder.Services.TryAddSingleton(TimeProvider.System);
            builder.Services.TryAddSingleton<JobRecords>();
            builder.Services.AddSingleton<JobAgent>();
            builder.Services.AddHostedService(provider => provider.GetRequiredService<JobAgent>());
        }
        return builder;
    }

    /// <summary>Whether the host runs one configured job (a Kubernetes Job's container) rather than an agent.</summary>
    public static bool IsOneJob(IHostApplicationBuilder builder) =>
        builder.Configuration.GetSection(JobOptions.SectionName).Get<JobOptions>() is { IsSet: true };

    /// <summary>
    /// Runs a host of <see cref="AddJobs{TRunner}"/>: its one configured job, then stops and returns the exit code (0
    /// succeeded, 1 failed: the Kubernetes Job's backoff starts the pod again, and pretraining resumes from its last
    /// checkpoint); or, as a job agent, until the host is stopped.
    /// </summary>
    public static async Task<int> RunJobsAsync(this IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var options = host.Services.GetRequiredService<IOptions<JobOptions>>().Value;
        if (!options.IsSet)
        {
            await host.RunAsync();
            return 0;
        }
        var job = options.ToSpec(host.Services.GetRequiredService<JobHostKinds>().Kinds[0]);
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(JobHosting).FullName!);
        await host.StartAsync();
        try
        {
            await using var scope = host.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<IJobRunner>().RunAsync(job, host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
            logger.LogInformation("Job {Job} succeeded", job.Name);
            return 0;
        }
        catch (Exception error)
        {
            logger.LogError(error, "Job {Job} failed", job.Name);
            return 1;
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
