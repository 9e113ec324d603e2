using System.Globalization;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Platform.Resilience;

/// <summary>
/// Every problem of <see cref="ObjectStoreResilienceOptions"/> (the ranges Polly accepts), each named by its key
/// in the section <c>Storage:Resilience</c>, the only place these settings are configured.
/// </summary>
public sealed class ObjectStoreResilienceOptionsValidator : OptionsValidator<ObjectStoreResilienceOptions>
{
    const string Section = $"{ObjectStoreOptions.SectionName}:{nameof(ObjectStoreOptions.Resilience)}";

    static readonly TimeSpan OneDay = TimeSpan.FromDays(1);
    static readonly TimeSpan HalfSecond = TimeSpan.FromMilliseconds(500);

    protected override IEnumerable<string> Problems(ObjectStoreResilienceOptions options)
    {
        if (options.MaxRetryAttempts is < 0 or > 100)
        {
            yield return $"{Section}:MaxRetryAttempts {options.MaxRetryAttempts} must be between 0 and 100";
        }
        if (options.BaseDelay < TimeSpan.Zero || options.BaseDelay > OneDay)
        {
            yield return $"{Section}:BaseDelay {Format(options.BaseDelay)} must be between 00:00:00 and 1.00:00:00";
        }
        if (options.MaxDelay <= TimeSpan.Zero || options.MaxDelay > OneDay || options.MaxDelay < options.BaseDelay)
        {
            yield return $"{Section}:MaxDelay {Format(options.MaxDelay)} must be positive, at most 1.00:00:00 and not below BaseDelay";
        }
        if (options.AttemptTimeout < TimeSpan.FromMilliseconds(10) || options.AttemptTimeout > OneDay)
        {
            yield return $"{Section}:AttemptTimeout {Format(options.AttemptTimeout)} must be between 00:00:00.010 and 1.00:00:00";
        }
        if (options.MinimumTransferBytesPerSecond < 0)
        {
            yield return $"{Section}:MinimumTransferBytesPerSecond {options.MinimumTransferBytesPerSecond} must not be negative";
        }
        if (double.IsNaN(options.FailureRatio) || options.FailureRatio <= 0 || options.FailureRatio > 1)
        {
            yield return $"{Section}:FailureRatio {options.FailureRatio.ToString(CultureInfo.InvariantCulture)} must be above 0 and at most 1";
        }
        if (options.MinimumThroughput < 2)
        {
            yield return $"{Section}:MinimumThroughput {options.MinimumThroughput} must be at least 2";
        }
        if (options.SamplingDuration < HalfSecond || options.SamplingDuration > OneDay)
        {
            yield return $"{Section}:SamplingDuration {Format(options.SamplingDuration)} must be between 00:00:00.500 and 1.00:00:00";
        }
        if (options.BreakDuration < HalfSecond || options.BreakDuration > OneDay)
        {
            yield return $"{Section}:BreakDuration {Format(options.BreakDuration)} must be between 00:00:00.500 and 1.00:00:00";
        }
        if (options.ReadIdleTimeout < TimeSpan.FromMilliseconds(10) || options.ReadIdleTimeout > OneDay)
        {
            yield return $"{Section}:ReadIdleTimeout {Format(options.ReadIdleTimeout)} must be between 00:00:00.010 and 1.00:00:00";
        }
        if (options.MaxReadResumes is < 0 or > 1000)
        {
            yield return $"{Section}:MaxReadResumes {options.MaxReadResumes} must be between 0 and 1000";
        }
    }
}
