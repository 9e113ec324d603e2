using MassTransit;
using SemanticMIM.Contracts.Messages;

namespace SemanticMIM.Orchestration.Tests;

/// <summary>Every message the recorder saw, in order of arrival, by experiment (or sweep) id.</summary>
public sealed class MessageLog
{
    private readonly List<object> _messages = [];

    public void Add(object message)
    {
        lock (_messages)
        {
            _messages.Add(message);
        }
    }

    public IReadOnlyList<T> Of<T>(Guid experimentId) where T : class
    {
        lock (_messages)
        {
            return _messages.OfType<T>().Where(m => ExperimentOf(m) == experimentId).ToList();
        }
    }

    public async Task<T> WaitForAsync<T>(Guid experimentId, TimeSpan patience) where T : class
    {
        var deadline = DateTime.UtcNow + patience;
        while (DateTime.UtcNow < deadline)
        {
            if (Of<T>(experimentId).FirstOrDefault() is { } found)
            {
                return found;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"no {typeof(T).Name} of experiment {experimentId} within {patience}");
    }

    // The experiment's id, or the sweep's for a sweep's messages.
    private static Guid ExperimentOf(object message) => message is Fault<StartExperiment> fault
        ? fault.Message.ExperimentId
        : (Guid)(message.GetType().GetProperty(nameof(ExperimentAccepted.ExperimentId)) ?? message.GetType().GetProperty(nameof(SweepAccepted.SweepId)))!
            .GetValue(message)!;
}

/// <summary>Records what the orchestrator publishes: its events, and the commands it sends to the workers.</summary>
public sealed class MessageRecorder(MessageLog log) :
    IConsumer<ExperimentAccepted>, IConsumer<ExperimentRejected>, IConsumer<ExperimentCompleted>, IConsumer<ExperimentFailed>,
    IConsumer<ExperimentCancelled>, IConsumer<ShardDataset>, IConsumer<CommitShards>, IConsumer<ComputeTargets>, IConsumer<RunTokens>,
    IConsumer<PretrainingCompleted>, IConsumer<Fault<StartExperiment>>, IConsumer<StartExperiment>, IConsumer<CancelExperiment>, IConsumer<WriteSweepReport>,
    IConsumer<SweepAccepted>, IConsumer<SweepRejected>, IConsumer<SweepProgressed>, IConsumer<SweepCompleted>, IConsumer<SweepCancelled>
{
    public Task Consume(ConsumeContext<ExperimentAccepted> context) => Record(context.Message);

    public Task Consume(ConsumeContext<ExperimentRejected> context) => Record(context.Message);

    public Task Consume(ConsumeContext<ExperimentCompleted> context) => Record(context.Message);

    public Task Consume(ConsumeContext<ExperimentFailed> context) => Record(context.Message);

    public Task Consume(ConsumeContext<ExperimentCancelled> context) => Record(context.Message);

    public Task Consume(ConsumeContext<ShardDataset> context) => Record(context.Message);

    public Task Consume(ConsumeContext<CommitShards> context) => Record(context.Message);

    public Task Consume(ConsumeContext<ComputeTargets> context) => Record(context.Message);

    public Task Consume(ConsumeContext<RunTokens> context) => Record(context.Message);

    /// <summary>Announced by the orchestrator itself when an experiment's pretraining is found complete (or by a test).</summary>
    public Task Consume(ConsumeContext<PretrainingCompleted> context) => Record(context.Message);

    /// <summary>A start the orchestrator failed to handle: MassTransit publishes it once the retries are spent.</summary>
    public Task Consume(ConsumeContext<Fault<StartExperiment>> context) => Record(context.Message);

    public Task Consume(ConsumeContext<StartExperiment> context) => Record(context.Message);

    public Task Consume(ConsumeContext<CancelExperiment> context) => Record(context.Message);

    public Task Consume(ConsumeContext<WriteSweepReport> context) => Record(context.Message);

    public Task Consume(ConsumeContext<SweepAccepted> context) => Record(context.Message);

    public Task Consume(ConsumeContext<SweepRejected> context) => Record(context.Message);

    public Task Consume(ConsumeContext<SweepProgressed> context) => Record(context.Message);

    public Task Consume(ConsumeContext<SweepCompleted> context) => Record(context.Message);

    public Task Consume(ConsumeContext<SweepCancelled> context) => Record(context.Message);

    private Task Record(object message)
    {
        log.Add(message);
        return Task.CompletedTask;
    }
}

public sealed class MessageRecorderDefinition : ConsumerDefinition<MessageRecorder>
{
    public MessageRecorderDefinition()
    {
        EndpointName = "recorder";
        ConcurrentMessageLimit = 1;
    }
}
