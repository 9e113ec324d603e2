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
/// the fake Kubernetes API: a cancelled experiment deletes its running Job.
/// </summary>
public sealed class KubernetesCancelTests
{
    [Fact]
    public async Task Cancelling_an_experiment_deletes_its_running_kubernetes_job_and_its_other_jobs_names()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        using var client = api.CreateClient();
        using var folder = new TempDirectory();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Jobs:Launcher"] = "kubernetes",
            ["Jobs:Namespace"] = TestSupport.Namespace,
            ["Jobs:Templates:Pretraining"] = TestSupport.TemplatePath("pretraining"),
            ["Jobs:Templates:Evaluation"] = TestSupport.TemplatePath("evaluation"),
        });
        builder.Services.AddSingleton<IObjectStore>(new FolderObjectStore(folder.Path));
        builder.Services.AddSingleton(client);
        builder.Services.AddSingleton<MessageLog>();
        builder.AddOrchestrator();
        builder.AddJobLauncher();
        builder.Services.AddBusConsumers(bus => bus.AddConsumer<MessageRecorder, MessageRecorderDefinition>());
        builder.AddBus(new BusOptions { Transport = BusOptions.InMemoryTransport });
        using var host = builder.Build();
        await host.StartAsync();
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
}
