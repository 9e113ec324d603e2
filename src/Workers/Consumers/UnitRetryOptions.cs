using System.Globalization;
using Microsoft.Extensions.Configuration;
using SemanticMIM.Platform.Hosting;

namespace SemanticMIM.Workers.Consumers;

/// <summary>
/// How often a failed unit of work (a split to shard, a shard's targets) is retried in place before its message goes
/// to the error queue and the experiment fails (configuration section <c>Retry</c>, <c>Retry__Intervals__0</c>, …).
/// A configured list replaces the default one.
/// </summary>
public sealed class UnitRetryOptions
{
    public const string SectionName = "Retry";

    public static IReadOnlyList<TimeSpan> DefaultIntervals { get; } = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)];

    public List<TimeSpan> Intervals { get; set; } = [];

    /// <summary>Fills the list the configuration left empty (the binder would append to a non-empty default).</summary>
    public static void ApplyDefaults(UnitRetryOptions options)
    {
        if (options.Intervals.Count == 0)
        {
            options.Intervals.AddRange(DefaultIntervals);
        }
    }
}

/// <remarks>
/// The binder skips a list item it cannot convert instead of failing, which would silently fall back to the defaults:
/// the validator reads the configured items too and names each one that is not a duration.
/// </remarks>
public sealed class UnitRetryOptionsValidator(IConfiguration configuration) : OptionsValidator<UnitRetryOptions>
{
    protected override IEnumerable<string> Problems(UnitRetryOptions options)
    {
        foreach (var item in configuration.GetSection($"{UnitRetryOptions.SectionName}:Intervals").GetChildren())
        {
            if (!TimeSpan.TryParse(item.Value, CultureInfo.InvariantCulture, out _))
            {
                yield return $"{item.Path} is '{item.Value}'; it must be a duration such as 00:00:05.";
            }
        }
        for (int i = 0; i < options.Intervals.Count; i++)
        {
            if (options.Intervals[i] < TimeSpan.Zero || options.Intervals[i] > TimeSpan.FromHours(1))
            {
                yield return $"{UnitRetryOptions.SectionName}:Intervals:{i} is {options.Intervals[i]}; it must lie in [0, 01:00:00].";
            }
        }
        if (options.Intervals.Count > 20)
        {
            yield return $"{UnitRetryOptions.SectionName}:Intervals has {options.Intervals.Count} entries; at most 20 retries are allowed.";
        }
    }
}
