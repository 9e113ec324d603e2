using MassTransit;
using SemanticMIM.Contracts.Messages;

namespace SemanticMIM.Platform.Messaging.Tests.Infrastructure;

/// <summary>Records every <see cref="StartExperiment"/> it consumes.</summary>
public sealed class RecordingStartExperimentConsumer(Received<StartExperiment> received) : IConsumer<StartExperiment>
{
    public Task Consume(ConsumeContext<StartExperiment> context)
    {
        received.Add(context.Message);
        return Task.CompletedTask;
    }
}

/// <summary>One definition per consumer, as in MassTransit's samples; no retry, so a fault goes straight to _error.</summary>
public sealed class RecordingStartExperimentConsumerDefinition : ConsumerDefinition<RecordingStartExperimentConsumer>
{
    public RecordingStartExperimentConsumerDefinition()
    {
        ConcurrentMessageLimit = 4;
    }
}

/// <summary>Answers <see cref="StartExperiment"/> with <see cref="ExperimentAccepted"/>, as the orchestrator does.</summary>
public sealed class AcceptingConsumer : IConsumer<StartExperiment>
{
    public Task Consume(ConsumeContext<StartExperiment> context) =>
        context.Publish(new ExperimentAccepted { ExperimentId = context.Message.ExperimentId, Name = "accepted-" + context.Message.RequestedBy });
}

/// <summary>Answers <see cref="GetExperimentStatus"/> with a running <see cref="ExperimentStatus"/>.</summary>
public sealed class StatusResponder : IConsumer<GetExperimentStatus>
{
    public Task Consume(ConsumeContext<GetExperimentStatus> context) =>
        context.RespondAsync(new ExperimentStatus { ExperimentId = context.Message.ExperimentId, State = "running", Stage = "pretrain" });
}
