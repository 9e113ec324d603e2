using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SemanticMIM.Planning.Validation;
using SemanticMIM.Platform.Hosting;

namespace SemanticMIM.Orchestration;

/// <summary>
/// The limits the orchestrator validates a spec against (<see cref="SpecLimits"/>), from its settings
/// <c>Validation:TrainerMemoryLimit</c> and <c>Data:Roots</c>; the validation itself is the one every entry point runs
/// (<see cref="Planning.ExperimentPlan.Read"/>).
/// </summary>
public static class SpecValidation
{
    public static IServiceCollection AddSpecLimits(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddValidatedOptions<ValidationOptions, ValidationOptionsValidator>(ValidationOptions.SectionName);
        DataOptions.Register(services);
        services.TryAddSingleton(provider => Limits(
            provider.GetRequiredService<IOptions<ValidationOptions>>().Value, provider.GetRequiredService<IOptions<DataOptions>>().Value));
        return services;
    }

    /// <summary>The trainer's memory as configured (this machine's when not), and the configured data roots.</summary>
    public static SpecLimits Limits(ValidationOptions validation, DataOptions data)
    {
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(data);
        var memory = validation.TrainerMemoryBytes is { } bytes ? new SpecLimits { TrainerMemoryBytes = bytes } : SpecLimits.ThisMachine();
        return memory with { DataRoots = data.Roots.ToList() };
    }
}
