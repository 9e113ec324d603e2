using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Kubernetes.Tests.Fakes;
using SemanticMIM.Platform.Messaging;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Orchestration.Tests;

/// <summary>
/// The orchestrator composed as its host is, with the Kubernetes launcher configured as the chart configures it, against
/// the fake Kubernetes API: a cancelled experiment deletes its Jobs, running or still suspended in Kueue's queue.
/// </summary>
public sealed class KubernetesCancelTests
{
    [Fact]
    public async Task Cancelling_an_experiment_deletes_its_running_kubernetes_job_and_its_other_jobs_names()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        using var client = api.CreateClient();
        using var folder = new TempDirectory();
        using var host = await StartAsync(client, folder, "pretraining", "evaluation", "tokens");
        var repository = host.Services.GetRequiredService<ExperimentRepository>();
        var bus = host.Services.GetRequiredService<IBus>();
        var id = Guid.NewGuid();
        await repository.SaveAsync(new ExperimentRecord { Id = id, SpecYaml = Specs.Tiny("on-kubernetes"), Name = "on-kubernetes", Phase = ExperimentPhase.Pretraining });
        string pretraining = JobSpec.Pretraining(id).Name;

        await bus.Publish(new RunPretraining { ExperimentId = id });
        Assert.True(await TestSupport.EventuallyAsync(() => api.Requests.Any(r => r.Method == "POST"), TimeSpan.FromSeconds(30)), "the Job was not created");
        await bus.Publish(new CancelExperiment { ExperimentId = id, Reason = "stop it" });
        var log = host.Services.GetRequiredService<MessageLog>();
        var cancelled = await log.WaitForAsync<ExperimentCancelled>(id, TimeSpan.FromSeconds(30));
        Assert.True(await TestSupport.EventuallyAsync(() => api.Requests.Count(r => r.Method == "DELETE") == 3, TimeSpan.FromSeconds(30)),
            $"expected three deletions, saw: {string.Join(", ", api.Requests.Where(r => r.Method == "DELETE"))}");
        await host.StopAsync();

        Assert.Equal("stop it", cancelled.Reason);
        var deletes = api.Requests.Where(r => r.Method == "DELETE").ToList();
        Assert.Equal([pretraining, JobSpec.Evaluation(id, 0).Name, JobSpec.Report(id).Name], deletes.Select(r => r.Path.Split('/')[^1]));
        Assert.All(deletes, r => Assert.Equal($"/apis/batch/v1/namespaces/{TestSupport.Namespace}/jobs/{r.Path.Split('/')[^1]}", r.Path));
        Assert.All(deletes, r => Assert.Equal("Background", r.QueryValue("propagationPolicy")));
    }

    [Fact]
    public async Task Cancelling_an_experiment_deletes_its_kueue_jobs_whether_admitted_or_still_suspended()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        using var client = api.CreateClient();
        using var folder = new TempDirectory();
        using var host = await StartAsync(client, folder, "kueue-pretraining", "kueue-evaluation", "kueue-tokens");
        var repository = host.Services.GetRequiredService<ExperimentRepository>();
        var bus = host.Services.GetRequiredService<IBus>();
        var id = Guid.NewGuid();
        await repository.SaveAsync(new ExperimentRecord
        {
            Id = id, SpecYaml = Specs.Tiny("in-kueue"), Name = "in-kueue", Phase = ExperimentPhase.Targets, TokensParts = 2,
        });
        string admitted = JobSpec.Tokens(id, new ShardPart(0, 2)).Name;
        string suspended = JobSpec.Tokens(id, new ShardPart(1, 2)).Name;

        await bus.Publish(new RunTokens { ExperimentId = id, Part = 0, Parts = 2 });
        await bus.Publish(new RunTokens { ExperimentId = id, Part = 1, Parts = 2 });
        Assert.True(await TestSupport.EventuallyAsync(() => api.JobCount == 2, TimeSpan.FromSeconds(30)), "the Jobs were not created");
        api.AdmitJob(TestSupport.Namespace, admitted, DateTime.UtcNow);
        var before = (api.GetJob(TestSupport.Namespace, admitted)!.Spec.Suspend, api.GetJob(TestSupport.Namespace, suspended)!.Spec.Suspend);
        await bus.Publish(new CancelExperiment { ExperimentId = id, Reason = "sweep cancelled" });
        await host.Services.GetRequiredService<MessageLog>().WaitForAsync<ExperimentCancelled>(id, TimeSpan.FromSeconds(30));
        Assert.True(await TestSupport.EventuallyAsync(() => api.Requests.Count(r => r.Method == "DELETE") == 5, TimeSpan.FromSeconds(30)),
            $"expected five deletions, saw: {string.Join(", ", api.Requests.Where(r => r.Method == "DELETE"))}");
        await host.StopAsync();

        Assert.Equal((false, true), before);
        // Every job name of the experiment, in JobsOf's order; the two that exist are deleted, the others were never created.
        var deletes = api.Requests.Where(r => r.Method == "DELETE").ToList();
        string[] names = [JobSpec.Pretraining(id).Name, JobSpec.Evaluation(id, 0).Name, JobSpec.Report(id).Name, admitted, suspended];
        Assert.Equal(names.Select(name => $"/apis/batch/v1/namespaces/{TestSupport.Namespace}/jobs/{name}"), deletes.Select(r => r.Path));
        Assert.All(deletes, r => Assert.Equal("?propagationPolicy=Background", r.Query));
        Assert.Equal(0, api.JobCount);
    }

    /// <summary>The orchestrator's host with the Kubernetes launcher on the given TestData templates, on the in-memory bus.</summary>
    private static async Task<IHost> StartAsync(k8s.IKubernetes client, TempDirectory folder, string pretraining, string evaluation, string tokens)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Jobs:Launcher"] = "kubernetes",
            ["Jobs:Namespace"] = TestSupport.Namespace,
            ["Jobs:Templates:Pretraining"] = TestSupport.TemplatePath(pretraining),
            ["Jobs:Templates:Evaluation"] = TestSupport.TemplatePath(evaluation),
            ["Jobs:Templates:Tokens"] = TestSupport.TemplatePath(tokens),
        });
        builder.Services.AddSingleton<IObjectStore>(new FolderObjectStore(folder.Path));
        builder.Services.AddSingleton(client);
        builder.Services.AddSingleton<MessageLog>();
        builder.AddOrchestrator();
        builder.AddJobLauncher();
        builder.Services.AddBusConsumers(bus => bus.AddConsumer<MessageRecorder, MessageRecorderDefinition>());
        builder.AddBus(new BusOptions { Transport = BusOptions.InMemoryTransport });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
