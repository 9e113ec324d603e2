using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SemanticMIM.Platform.Coordination;
using SemanticMIM.Platform.Kubernetes.Tests.Fakes;

namespace SemanticMIM.Platform.Kubernetes.Tests.Coordination;

/// <summary>The <c>LeaderElection</c> section as <see cref="LeaderElectionServiceCollectionExtensions.AddLeaseLeaderElection"/> binds it.</summary>
public sealed class LeaderElectionOptionsTests
{
    static LeaderElectionOptions Bound(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddLeaseLeaderElection(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<LeaderElectionOptions>>().Value;
    }

    [Fact]
    public void What_the_section_leaves_out_gets_its_default()
    {
        var options = Bound(new() { ["LeaderElection:LeaseName"] = "orchestrator", ["LeaderElection:Namespace"] = TestSupport.Namespace });

        Assert.Equal(Environment.MachineName, options.Identity);
        var defaults = new LeaderElectionOptions();
        Assert.Equal(defaults.LeaseDuration, options.LeaseDuration);
        Assert.Equal(defaults.RenewDeadline, options.RenewDeadline);
        Assert.Equal(defaults.RenewInterval, options.RenewInterval);
        Assert.Equal(defaults.RetryInterval, options.RetryInterval);
        Assert.Equal(defaults.ApiTimeout, options.ApiTimeout);
        Assert.True(options.ReleaseOnStop);
    }

    [Fact]
    public void A_configured_identity_and_timings_are_kept()
    {
        var options = Bound(new()
        {
            ["LeaderElection:LeaseName"] = "orchestrator",
            ["LeaderElection:Namespace"] = TestSupport.Namespace,
            ["LeaderElection:Identity"] = "pod-a",
            ["LeaderElection:LeaseDuration"] = "00:00:30",
            ["LeaderElection:RenewDeadline"] = "00:00:20",
            ["LeaderElection:ReleaseOnStop"] = "false",
        });

        Assert.Equal("pod-a", options.Identity);
        Assert.Equal(TimeSpan.FromSeconds(30), options.LeaseDuration);
        Assert.Equal(TimeSpan.FromSeconds(20), options.RenewDeadline);
        Assert.False(options.ReleaseOnStop);
    }

    [Fact]
    public void An_invalid_section_lists_every_problem_with_its_key()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bound(new()
        {
            ["LeaderElection:LeaseName"] = "Not A Name",
            ["LeaderElection:Namespace"] = "Not_A_Namespace",
            ["LeaderElection:LeaseDuration"] = "00:00:01.500",
            ["LeaderElection:RenewDeadline"] = "00:00:20",
            ["LeaderElection:RenewInterval"] = "00:00:00",
            ["LeaderElection:RetryInterval"] = "00:00:00",
            ["LeaderElection:ApiTimeout"] = "-00:00:01",
        }));

        string[] keys = ["LeaseName", "Namespace", "LeaseDuration", "RenewDeadline", "RenewInterval", "RetryInterval", "ApiTimeout"];
        Assert.Equal(keys.Length, error.Failures.Count());
        Assert.All(keys, key => Assert.Contains(error.Failures, p => p.StartsWith($"LeaderElection:{key} ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_host_with_a_value_that_is_not_of_its_type_does_not_start_and_names_its_key()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LeaderElection:LeaseName"] = "orchestrator",
            ["LeaderElection:Namespace"] = TestSupport.Namespace,
            ["LeaderElection:RenewDeadline"] = "ten seconds",
        });
        builder.Services.AddLeaseLeaderElection(builder.Configuration);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("'LeaderElection:RenewDeadline'", error.Message, StringComparison.Ordinal);
    }
}
