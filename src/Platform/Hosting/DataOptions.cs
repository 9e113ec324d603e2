using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SemanticMIM.Platform.Hosting;

/// <summary>
/// Where a service may read data from and how large an image it decodes (configuration section <c>Data</c>). The
/// orchestrator refuses a spec whose data paths (data set sources, the DALL-E weights) lie outside <see cref="Roots"/>;
/// the shard service skips, and counts in the split's manifest, images over <see cref="MaxImagePixels"/> (read from
/// the header, before decoding) or <see cref="MaxImageBytes"/>.
/// </summary>
public sealed class DataOptions
{
    public const string SectionName = "Data";

    /// <summary>
    /// Absolute folders a spec's data paths must lie in (<c>Data:Roots:0</c>, …). None (the default): only the built-in
    /// data sets can be used. The embedded run (<c>semanticmim run</c>) sets <c>/</c>: its user may read any path they can.
    /// </summary>
    public List<string> Roots { get; set; } = [];

    /// <summary>Largest image decoded, in pixels (default: the shard writer's, 50 000 000).</summary>
    public long? MaxImagePixels { get; set; }

    /// <summary>Largest image file read, in bytes (default: the shard writer's, 256 MiB).</summary>
    public long? MaxImageBytes { get; set; }

    /// <summary>
    /// Binds the section once, however many roles of one host ask for it (binding a list twice would repeat its items).
    /// </summary>
    public static IServiceCollection Register(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Any(d => d.ServiceType == typeof(IValidateOptions<DataOptions>)))
        {
            services.AddValidatedOptions<DataOptions, DataOptionsValidator>(SectionName);
        }
        return services;
    }
}

public sealed class DataOptionsValidator : OptionsValidator<DataOptions>
{
    protected override IEnumerable<string> Problems(DataOptions options)
    {
        string at = DataOptions.SectionName;
        for (int i = 0; i < options.Roots.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.Roots[i]) || !Path.IsPathFullyQualified(options.Roots[i]))
            {
                yield return $"{at}:Roots:{i} is '{options.Roots[i]}'; a data root must be an absolute folder.";
            }
        }
        if (options.MaxImagePixels is <= 0)
        {
            yield return $"{at}:MaxImagePixels is {options.MaxImagePixels}; it must be positive.";
        }
        if (options.MaxImageBytes is <= 0)
        {
            yield return $"{at}:MaxImageBytes is {options.MaxImageBytes}; it must be positive.";
        }
    }
}
