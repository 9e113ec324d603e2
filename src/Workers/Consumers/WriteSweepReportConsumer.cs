using MassTransit;
using Microsoft.Extensions.Options;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Orchestration;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Planning;
using SemanticMIM.Planning.Validation;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Workers.Consumers;

/// <summary>
/// Writes a sweep's report once every cell has ended, through the same <see cref="ReportStage.WriteSweepReportAsync"/>
/// as <c>semanticmim sweep</c>: each cell's <c>results.json</c> into <c>sweeps/&lt;name&gt;/</c> (a failed or cancelled cell
/// has none and counts as missing). Writing it again gives the same report, so redelivery is harmless.
/// </summary>
public sealed class WriteSweepReportConsumer(SweepRepository sweeps, StoreFiles files) : IConsumer<WriteSweepReport>
{
    public async Task Consume(ConsumeContext<WriteSweepReport> context)
    {
        var cancellation = context.CancellationToken;
        var record = await sweeps.GetAsync(context.Message.SweepId, cancellation);
        // The orchestrator validated the sweep against its limits when it arrived; here it is only expanded again.
        var sweep = SweepPlan.Read(record.SweepYaml, $"sweep {record.Id}", SpecLimits.None, record.BaseSpecYaml is { } baseYaml ? _ => baseYaml : null);
        var (summary, reportKey) = await ReportStage.WriteSweepReportAsync(files, sweep, cancellation);
        await context.Publish(new SweepReportWritten
        {
            SweepId = record.Id,
            ReportKey = reportKey,
            Metric = summary.Metric,
            Groups = summary.GroupResults(),
        }, cancellation);
    }
}

public sealed class WriteSweepReportConsumerDefinition(IOptions<UnitRetryOptions> retry)
    : UnitConsumerDefinition<WriteSweepReportConsumer>(retry, cpuBound: true);
