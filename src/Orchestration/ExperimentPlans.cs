using SemanticMIM.Contracts.Specs;
using SemanticMIM.Planning;

namespace SemanticMIM.Orchestration;

/// <summary>Resolves an experiment id to its plan through the orchestrator's record, for the workers and jobs.</summary>
public sealed class ExperimentPlans(ExperimentRepository repository)
{
    public async Task<ExperimentPlan> GetAsync(Guid experimentId, CancellationToken cancellation = default)
    {
        var record = await repository.GetAsync(experimentId, cancellation);
        return ExperimentPlan.From(SpecReader.Read(record.SpecYaml, $"experiment {experimentId}"));
    }
}
