using k8s;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SemanticMIM.Platform.Coordination;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Jobs.Kubernetes;
using SemanticMIM.Platform.Kubernetes.Tests.Fakes;

namespace SemanticMIM.Platform.Kubernetes.Tests.Jobs;

public sealed class KubernetesJobsRegistrationTests
{
    /// <summary>The orchestrator's environment as the chart sets it (Jobs__*, LeaderElection__*), with this machine's paths.</summary>
    static Dictionary<string, string?> ChartEnvironment(bool leaderElection) => new()
    {
        ["Jobs:Launcher"] = "kubernetes",
        ["Jobs:Namespace"] = TestSupport.Namespace,
        ["Jobs:Templates:Pretraining"] = TestSupport.TemplatePath("pretraining"),
        ["Jobs:Templates:Evaluation"] = TestSupport.TemplatePath("evaluation"),
        ["Jobs:Watcher:MinBackoff"] = "00:00:00.050",
        ["LeaderElection:LeaseName"] = leaderElection ? "mim-semanticmim-orchestrator" : null,
        ["LeaderElection:Namespace"] = TestSupport.Namespace,
        ["LeaderElection:Identity"] = "mim-semanticmim-orchestrator-7d9f-abcde",
        ["LeaderElection:LeaseDuration"] = "00:00:02",
        ["LeaderElection:RenewDeadline"] = "00:00:01",
        ["LeaderElection:RenewInterval"] = "00:00:00.200",
        ["LeaderElection:RetryInterval"] = "00:00:00.200",
    };

    [Theory]
    [InlineData("kubernetes", true)]
    [InlineData("Kubernetes", true)]
    [InlineData("inprocess", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void The_launcher_is_chosen_by_Jobs_Launcher(string? launcher, bool kubernetes)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Jobs:Launcher"] = launcher }).Build();

        Assert.Equal(kubernetes, KubernetesJobsOptions.IsSelected(configuration));
    }

    [Fact]
    public void Leader_election_is_on_when_a_lease_name_is_set()
    {
        Assert.True(LeaderElectionOptions.IsEnabled(new ConfigurationBuilder().AddInMemoryCollection(ChartEnvironment(true)).Build()));
        Assert.False(LeaderElectionOptions.IsEnabled(new ConfigurationBuilder().AddInMemoryCollection(ChartEnvironment(false)).Build()));
    }

    /// <summary>The options <see cref="KubernetesJobsServiceCollectionExtensions.AddKubernetesJobs"/> binds from <paramref name="settings"/>.</summary>
    static KubernetesJobsOptions Bound(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddKubernetesJobs(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<KubernetesJobsOptions>>().Value;
    }

    [Fact]
    public void Invalid_configuration_lists_every_problem()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("evaluation.yaml"), "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n");

        var error = Assert.Throws<OptionsValidationException>(() => Bound(new()
        {
            ["Jobs:Launcher"] = "kubernetes",
            ["Jobs:Templates:Pretraining"] = folder.File("missing.yaml"),
            ["Jobs:Templates:Evaluation"] = folder.File("evaluation.yaml"),
            ["Jobs:Api:MaxRetryAttempts"] = "-1",
            ["Jobs:Watcher:MinBackoff"] = "00:00:00",
            ["Jobs:Watcher:WatchTimeoutSeconds"] = "0",
        }));

        Assert.Collection(error.Failures,
            p => Assert.StartsWith("Jobs:Namespace is not set", p, StringComparison.Ordinal),
            p => Assert.Matches("^Jobs:Templates:Pretraining .*does not exist", p),
            p => Assert.Matches("^Jobs:Templates:Evaluation .*kind is 'Pod', not 'Job'", p),
            p => Assert.StartsWith("Jobs:Api:MaxRetryAttempts -1 ", p, StringComparison.Ordinal),
            p => Assert.StartsWith("Jobs:Watcher:MinBackoff 00:00:00 ", p, StringComparison.Ordinal),
            p => Assert.StartsWith("Jobs:Watcher:WatchTimeoutSeconds 0 ", p, StringComparison.Ordinal));
    }

    [Fact]
    public void Settings_the_chart_leaves_out_get_their_defaults()
    {
        var options = Bound(ChartEnvironment(false));

        Assert.Equal(TestSupport.Namespace, options.Namespace);
        Assert.Equal(TestSupport.TemplatePath("pretraining"), options.Templates.Pretraining);
        Assert.Equal(TimeSpan.FromMilliseconds(50), options.Watcher.MinBackoff);
        Assert.Equal(new KubernetesJobWatcherOptions().MaxBackoff, options.Watcher.MaxBackoff);
        Assert.Equal(new KubernetesApiResilienceOptions().MaxRetryAttempts, options.Api.MaxRetryAttempts);
        Assert.Equal(new KubernetesApiResilienceOptions().AttemptTimeout, options.Api.AttemptTimeout);
    }

    [Theory]
    [InlineData("Jobs:Api:MaxRetryAttempts", "five")]
    [InlineData("Jobs:Watcher:MaxBackoff", "a minute")]
    public async Task A_host_with_a_value_that_is_not_of_its_type_does_not_start_and_names_its_key(string key, string value)
    {
        var settings = ChartEnvironment(false);
        settings[key] = value;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<IKubernetes>(new k8s.Kubernetes(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" }));
        builder.Services.AddKubernetesJobs(builder.Configuration);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains($"'{key}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_chart_templates_parse_as_jobs()
    {
        foreach (var kind in KubernetesJobTemplates.OwnTemplates)
        {
            var job = JobManifests.Load(TestSupport.TemplatePath(kind));
            Assert.Equal("Never", job.Spec.Template.Spec.RestartPolicy);
            Assert.NotNull(job.Spec.PodFailurePolicy);
        }
    }

    [Fact]
    public async Task A_host_configured_like_the_chart_elects_launches_watches_and_releases()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        using var client = api.CreateClient();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(ChartEnvironment(true));
        builder.Logging.AddFilter(level => level >= LogLevel.Warning);
        builder.Services.AddSingleton(client);
        // As the orchestrator's host composes it (AddOrchestrator, then AddJobLauncher): the election first, then the launcher (whose watcher runs only on the leader).
        builder.Services.AddLeaseLeaderElection(builder.Configuration);
        builder.Services.AddKubernetesJobs(builder.Configuration);
        using var host = builder.Build();

        Assert.IsType<KubernetesJobLauncher>(host.Services.GetRequiredService<IJobLauncher>());
        Assert.IsType<NoOpJobEndListener>(host.Services.GetRequiredService<IJobEndListener>());
        var elector = Assert.IsType<LeaseLeaderElector>(host.Services.GetRequiredService<ILeadership>());
        Assert.Contains(host.Services.GetServices<IHostedService>(), s => s is KubernetesJobWatcher);

        await host.StartAsync();
        Assert.True(await TestSupport.EventuallyAsync(() => elector.IsLeader && api.ActiveWatches == 1), "no leader watching");
        var launcher = host.Services.GetRequiredService<IJobLauncher>();
        var job = JobSpec.Evaluation(Guid.NewGuid(), 0);
        await launcher.LaunchAsync(job, CancellationToken.None);
        Assert.Equal(JobState.Running, await launcher.GetStateAsync(job.Name, CancellationToken.None));

        await host.StopAsync();

        // The fake API sees the watch end when the client's connection closes, which a loaded machine may take a while to notice.
        Assert.True(await TestSupport.EventuallyAsync(() => api.ActiveWatches == 0, TimeSpan.FromSeconds(30)), "the watch outlived the host");
        Assert.Null(api.GetLease(TestSupport.Namespace, "mim-semanticmim-orchestrator")!.Spec.HolderIdentity);
        Assert.Empty(api.Errors);
    }

    [Fact]
    public void Without_an_election_the_launcher_leads_alone()
    {
        using var client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" });
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IKubernetes>(client);
        services.AddKubernetesJobs(new ConfigurationBuilder().AddInMemoryCollection(ChartEnvironment(false)).Build());
        using var provider = services.BuildServiceProvider();

        Assert.IsType<AlwaysLeader>(provider.GetRequiredService<ILeadership>());
        Assert.IsType<KubernetesJobLauncher>(provider.GetRequiredService<IJobLauncher>());
    }
}
