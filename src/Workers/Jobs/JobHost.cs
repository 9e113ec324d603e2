using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Messaging;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Workers.Jobs;

/// <summary>
/// The entry point of a trainer or evaluator job (a Kubernetes Job's container): runs the one job described
/// by the <c>Job</c> configuration section (<c>Job__Name</c>, <c>Job__ExperimentId</c>, <c>Job__EvaluationIndex</c>
/// in the environment), exposes health and metrics while it runs, and exits 0 on success, 1 on failure, without
/// announcing the failure itself: the Job's backoff starts the pod again and pretraining resumes from its newest
/// checkpoint in the store; the orchestrator's Job watcher reports the failure once the backoff limit is reached.
/// </summary>
public static class JobHost
{
    public static async Task<int> RunAsync(string[] args, string serviceName, string kind)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(serviceName);
        builder.Services.AddSemanticMimObjectStore(builder.Configuration);
        builder.Services.AddSemanticMimWorkers(WorkerHost.CacheFolder(builder.Configuration, serviceName));
        builder.Services.AddScoped<ExperimentJobRunner>();
        // Kubernetes retries a failed pod (backoffLimit); the Job watcher reports the failure once it gives up.
        builder.Services.Configure<ExperimentJobOptions>(options => options.AnnounceFailures = false);
        builder.Services.AddSemanticMimBus(builder.Configuration, _ => { });
        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(serviceName);
        var job = ReadJob(builder.Configuration.GetSection("Job"), kind);
        await app.StartAsync();
        try
        {
            using var scope = app.Services.CreateScope();
            await scope.ServiceProvider.GetRequiredService<ExperimentJobRunner>().RunAsync(job, app.Lifetime.ApplicationStopping);
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
            await app.StopAsync();
        }
    }

    private static JobSpec ReadJob(IConfigurationSection section, string kind)
    {
        var problems = new List<string>();
        if (!Guid.TryParse(section["ExperimentId"], out var experimentId))
        {
            problems.Add($"Job:ExperimentId must be a GUID (got '{section["ExperimentId"]}')");
        }
        int? index = null;
        if (kind == JobKinds.Evaluation)
        {
            if (int.TryParse(section["EvaluationIndex"], out int value) && value >= 0)
            {
                index = value;
            }
            else
            {
                problems.Add($"Job:EvaluationIndex must be a non-negative integer (got '{section["EvaluationIndex"]}')");
            }
        }
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid job configuration: " + string.Join("; ", problems));
        }
        var job = kind == JobKinds.Pretraining ? JobSpec.Pretraining(experimentId) : JobSpec.Evaluation(experimentId, index!.Value);
        return section["Name"] is { Length: > 0 } name ? job with { Name = name } : job;
    }
}
