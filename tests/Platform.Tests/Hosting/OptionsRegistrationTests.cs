using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SemanticMIM.Platform.Hosting;

namespace SemanticMIM.Platform.Tests.Hosting;

public sealed class OptionsRegistrationTests
{
    public sealed class MirrorOptions
    {
        public static readonly string[] DefaultHosts = ["a.example.org", "b.example.org"];

        /// <summary>Empty until bound: the binder would append configured hosts to initial ones.</summary>
        public List<string> Hosts { get; set; } = [];

        public int Port { get; set; } = 80;

        public static void ApplyDefaults(MirrorOptions options)
        {
            if (options.Hosts.Count == 0)
            {
                options.Hosts.AddRange(DefaultHosts);
            }
        }
    }

    public sealed class MirrorOptionsValidator : OptionsValidator<MirrorOptions>
    {
        protected override IEnumerable<string> Problems(MirrorOptions options)
        {
            if (options.Port is < 1 or > 65535)
            {
                yield return $"Mirror:Port {options.Port} must be between 1 and 65535.";
            }

            if (options.Hosts.Any(string.IsNullOrWhiteSpace))
            {
                yield return "Mirror:Hosts has an empty host.";
            }
        }
    }

    static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    static MirrorOptions Bound(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddValidatedOptions<MirrorOptions, MirrorOptionsValidator>(configuration, "Mirror", MirrorOptions.ApplyDefaults);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<MirrorOptions>>().Value;
    }

    [Fact]
    public void A_list_left_out_gets_its_default()
    {
        Assert.Equal(MirrorOptions.DefaultHosts, Bound(Config()).Hosts);
    }

    [Fact]
    public void A_configured_list_replaces_its_default_instead_of_extending_it()
    {
        var options = Bound(Config(("Mirror:Hosts:0", "c.example.org")));

        Assert.Equal(["c.example.org"], options.Hosts);
    }

    [Fact]
    public void Every_problem_is_listed_with_its_key()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bound(Config(("Mirror:Port", "0"), ("Mirror:Hosts:0", " "))));

        Assert.Equal(["Mirror:Port 0 must be between 1 and 65535.", "Mirror:Hosts has an empty host."], error.Failures);
    }

    [Fact]
    public void A_value_that_is_not_of_its_type_fails_naming_its_key()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Bound(Config(("Mirror:Port", "eighty"))));

        Assert.Contains("'Mirror:Port'", error.Message);
    }

    [Fact]
    public void The_containers_configuration_is_bound_when_it_has_one()
    {
        var services = new ServiceCollection();
        services.AddSingleton(Config(("Mirror:Port", "8080")));
        services.AddValidatedOptions<MirrorOptions, MirrorOptionsValidator>(Config(("Mirror:Port", "9090")), "Mirror");
        using var provider = services.BuildServiceProvider();

        Assert.Equal(8080, provider.GetRequiredService<IOptions<MirrorOptions>>().Value.Port);
    }

    [Fact]
    public void Options_given_as_an_instance_are_checked_with_the_same_validator()
    {
        var error = Assert.Throws<OptionsValidationException>(() => new MirrorOptionsValidator().EnsureValid(new MirrorOptions { Port = -1 }));

        Assert.Equal(typeof(MirrorOptions), error.OptionsType);
        Assert.StartsWith("Mirror:Port -1 ", Assert.Single(error.Failures));
        var valid = new MirrorOptions();
        Assert.Same(valid, new MirrorOptionsValidator().EnsureValid(valid));
    }
}
