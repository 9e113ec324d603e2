using System.Collections.Immutable;
using MassTransit;
using SemanticMIM.Contracts.Messages;

namespace SemanticMIM.Workers;

/// <summary>Hands every experiment event the embedded bus delivers to the subscribed followers.</summary>
public sealed class ExperimentEventHub
{
    private ImmutableList<Action<object>> _subscribers = [];

    public IDisposable Subscribe(Action<object> handler)
    {
        ImmutableInterlocked.Update(ref _subscribers, list => list.Add(handler));
        return new Subscription(() => ImmutableInterlocked.Update(ref _subscribers, list => list.Remove(handler)));
    }

    public void Publish(object message)
    {
        foreach (var subscriber in _subscribers)
        {
            subscriber(message);
        }
    }

    private sealed class Subscription(Action unsubscribe) : IDisposable
    {
        public void Dispose() => unsubscribe();
    }
}

/// <summary>Receives the events a follower needs, on its own queue, and passes them to the hub.</summary>
public sealed class ExperimentEventConsumer(ExperimentEventHub hub) :
    IConsumer<ExperimentAccepted>, IConsumer<ExperimentRejected>, IConsumer<ShardWritten>, IConsumer<DatasetSharded>, IConsumer<TargetsComputed>,
    IConsumer<TrainingProgressed>, IConsumer<CheckpointSaved>, IConsumer<PretrainingCompleted>, IConsumer<EvaluationCompleted>,
    IConsumer<ReportWritten>, IConsumer<ExperimentCompleted>, IConsumer<ExperimentFailed>, IConsumer<ExperimentCancelled>
{
    public Task Consume(ConsumeContext<ExperimentAccepted> context) => Forward(context.Message);

    public Task Consume(ConsumeContext<ExperimentRejected> context) => Forward(context.Message);

    public Task Consume(ConsumeContext<ShardWritten> context) => Forward(context.Message);

    public Task Consume(ConsumeContext<DatasetSharded> context) => Forward(context.Message);

    public Task Consume(ConsumeContext<TargetsComputed> context) => Forward(context.Message);

    public Task Consume(ConsumeContext<TrainingProgressed> context) => Forward(context.Message);

    public Task Consume(ConsumeContext<CheckpointSaved> context) => Forward(context.Message);

    public Task Consume(ConsumeContext<PretrainingCompleted> context) => Forward(context.Message);

    public Task Consume(ConsumeContext<EvaluationCompleted> context) => Forward(context.Message);

    public Task Consume(ConsumeContext<ReportWritten> context) => Forward(context.Message);

    public Task Consume(ConsumeContext<ExperimentCompleted> context) => Forward(context.Message);

    public Task Consume(ConsumeContext<ExperimentCancelled> context) => Forward(context.Message);

    public Task Consume(ConsumeContext<ExperimentFailed> context) => Forward(context.Message);

    private Task Forward(object message)
    {
        hub.Publish(message);
        return Task.CompletedTask;
    }
}

/// <summary>One queue, in order: a follower sees an experiment's events as they were published.</summary>
public sealed class ExperimentEventConsumerDefinition : ConsumerDefinition<ExperimentEventConsumer>
{
    public ExperimentEventConsumerDefinition()
    {
        EndpointName = "experiment-events";
        ConcurrentMessageLimit = 1;
    }
}
