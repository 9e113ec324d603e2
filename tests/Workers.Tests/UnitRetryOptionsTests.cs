using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SemanticMIM.Workers.Consumers;

namespace SemanticMIM.Workers.Tests;

/// <summary>The shard and target units' retry intervals, bound as the services bind them (<c>AddShardService</c>).</summary>
public sealed class UnitRetryOptionsTests
{
    [Fact]
    public void Without_configuration_the_default_intervals_apply()
    {
        Assert.Equal(UnitRetryOptions.DefaultIntervals, Resolve([]).Intervals);
    }

    [Fact]
    public void A_configured_list_replaces_the_default_one_instead_of_extending_it()
    {
        var options = Resolve(new() { ["Retry:Intervals:0"] = "00:00:02", ["Retry:Intervals:1"] = "00:00:07" });

        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(7)], options.Intervals);
    }

    [Fact]
    public void Every_bad_or_unreadable_interval_is_listed_with_its_key()
    {
        var invalid = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["Retry:Intervals:0"] = "-00:00:01", ["Retry:Intervals:1"] = "02:00:00" }));
        var unreadable = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["Retry:Intervals:0"] = "soon", ["Retry:Intervals:1"] = "00:00:01" }));

        Assert.Equal(["Retry:Intervals:0 is -00:00:01; it must lie in [0, 01:00:00].", "Retry:Intervals:1 is 02:00:00; it must lie in [0, 01:00:00]."],
            invalid.Failures);
        Assert.Equal(["Retry:Intervals:0 is 'soon'; it must be a duration such as 00:00:05."], unreadable.Failures);
    }

    private static UnitRetryOptions Resolve(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddShardService();
        using var provider = builder.Services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<UnitRetryOptions>>().Value;
    }
}
