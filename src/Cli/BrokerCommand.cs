using System.CommandLine;
using MassTransit;
using SemanticMIM.Orchestration;
using SemanticMIM.Platform.Messaging;
using SemanticMIM.Workers.Consumers;

namespace SemanticMIM.Cli;

/// <summary>
/// <c>semanticmim broker upgrade-queues --broker amqp://…</c>: turns a deployment's classic consumer queues into the
/// quorum queues this version declares (<see cref="QueueUpgrade"/>), keeping their messages. Stop the services first.
/// </summary>
internal static class BrokerCommand
{
    /// <summary>The consumer queues of the services, as MassTransit names them.</summary>
    public static IReadOnlyList<string> ServiceQueues { get; } =
    [
        ExperimentOrchestratorDefinition.Queue,
        KebabCaseEndpointNameFormatter.Instance.Consumer<ShardDatasetConsumer>(),
        KebabCaseEndpointNameFormatter.Instance.Consumer<WriteShardConsumer>(),
        KebabCaseEndpointNameFormatter.Instance.Consumer<CommitShardsConsumer>(),
        KebabCaseEndpointNameFormatter.Instance.Consumer<ComputeTargetsConsumer>(),
    ];

    public static Command Create()
    {
        var broker = SubmitCommand.Broker();
        var queues = new Option<string[]>("--queue") { Description = $"A queue to upgrade (default: the services' own: {string.Join(", ", ServiceQueues)})" };
        var limit = new Option<int>("--delivery-limit")
        {
            Description = "The delivery limit the services are configured with (Bus:DeliveryLimit)",
            DefaultValueFactory = _ => new BusOptions().DeliveryLimit,
        };
        var upgrade = new Command("upgrade-queues", "Turn the services' classic queues into quorum queues, keeping their messages (stop the services first)")
        {
            broker, queues, limit,
        };
        upgrade.SetAction(async (parse, cancellation) =>
        {
            var names = parse.GetValue(queues) is { Length: > 0 } given ? given : ServiceQueues;
            var options = new BusOptions { QueueType = BusOptions.QuorumQueues, DeliveryLimit = parse.GetValue(limit) };
            foreach (var result in await QueueUpgrade.UpgradeAsync(parse.GetValue(broker)!, names, options, cancellation))
            {
                Console.WriteLine($"{result.Queue}: {result.Outcome}{(result.MessagesMoved > 0 ? $", {result.MessagesMoved} message(s) kept" : "")}");
            }
            return 0;
        });
        return new Command("broker", "Maintain the platform's RabbitMQ queues") { upgrade };
    }
}
