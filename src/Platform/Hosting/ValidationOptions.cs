using k8s.Models;

namespace SemanticMIM.Platform.Hosting;

/// <summary>The limits the orchestrator validates specs against (configuration section <c>Validation</c>).</summary>
public sealed class ValidationOptions
{
    public const string SectionName = "Validation";

    /// <summary>
    /// The memory a trainer may use, as a Kubernetes quantity (<c>80Gi</c>, <c>32G</c>, bytes): the memory of the device
    /// that trains, a GPU's on a cluster. A spec whose estimated training memory exceeds it is rejected. Empty (the
    /// default): the memory of the machine the orchestrator runs on, which is right where it trains in one process or
    /// beside job agents on the same machine.
    /// </summary>
    public string TrainerMemoryLimit { get; set; } = "";

    /// <summary><see cref="TrainerMemoryLimit"/> in bytes; null when it is empty.</summary>
    /// <exception cref="FormatException">It is not a quantity (the validator reports that at startup).</exception>
    public long? TrainerMemoryBytes => TrainerMemoryLimit.Length == 0 ? null : new ResourceQuantity(TrainerMemoryLimit).ToInt64();
}

public sealed class ValidationOptionsValidator : OptionsValidator<ValidationOptions>
{
    protected override IEnumerable<string> Problems(ValidationOptions options)
    {
        string at = ValidationOptions.SectionName;
        long? bytes;
        try
        {
            bytes = options.TrainerMemoryBytes;
        }
        catch (FormatException)
        {
            bytes = -1;
        }
        if (bytes is <= 0)
        {
            yield return $"{at}:TrainerMemoryLimit is '{options.TrainerMemoryLimit}'; it must be a positive Kubernetes quantity such as 80Gi, or empty for this machine's memory.";
        }
    }
}
