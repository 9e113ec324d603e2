using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace SemanticMIM.Platform.Messaging;

/// <summary>What <see cref="QueueUpgrade"/> did with one queue.</summary>
public sealed record QueueUpgradeResult(string Queue, string Outcome, int MessagesMoved);

/// <summary>
/// Turns a deployment's classic consumer queues (and their error queues) into the quorum queues this version declares
/// (<see cref="BusOptions.QueueType"/>) without losing a message. A queue cannot change type in place, so each classic
/// queue's messages move to a temporary quorum queue, the classic queue is deleted and declared again as the services
/// declare it (<see cref="BusRegistration.QuorumArguments"/>), bound again to its exchange, and the messages move back.
/// Run it while the services are stopped: deleting a queue that still has consumers is refused, and nothing is changed.
/// </summary>
public static class QueueUpgrade
{
    private const string TemporarySuffix = ".upgrade";

    public static async Task<IReadOnlyList<QueueUpgradeResult>> UpgradeAsync(Uri broker, IEnumerable<string> queues, BusOptions options,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(options);
        await using var connection = await new ConnectionFactory { Uri = broker, ClientProvidedName = "semanticmim-queue-upgrade" }
            .CreateConnectionAsync(cancellation);
        var results = new List<QueueUpgradeResult>();
        foreach (string queue in queues)
        {
            var arguments = BusRegistration.QuorumArguments(queue, options).ToDictionary(pair => pair.Key, pair => (object?)pair.Value);
            // The error queue first: the consumer queue dead-letters into it.
            results.Add(await UpgradeOneAsync(connection, BusRegistration.ErrorQueue(queue), arguments, cancellation));
            results.Add(await UpgradeOneAsync(connection, queue, arguments, cancellation));
        }
        return results;
    }

    private static async Task<QueueUpgradeResult> UpgradeOneAsync(IConnection connection, string queue, Dictionary<string, object?> arguments,
        CancellationToken cancellation)
    {
        if (!await ExistsAsync(connection, queue, cancellation))
        {
            return new QueueUpgradeResult(queue, "absent: nothing to upgrade", 0);
        }
        if (await IsQuorumAsync(connection, queue, cancellation))
        {
            return new QueueUpgradeResult(queue, "already a quorum queue", 0);
        }
        string temporary = queue + TemporarySuffix;
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellation);
        // Messages are taken on one channel and published on another: RabbitMQ 3.10 closes the connection with
        // INTERNAL_ERROR when one channel gets from a quorum queue and publishes to one.
        await using var publisher = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true), cancellation);
        await channel.QueueDeclareAsync(temporary, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = BusOptions.QuorumQueues }, cancellationToken: cancellation);
        await MoveAsync(channel, publisher, queue, temporary, cancellation);
        // ifUnused: a queue that still has consumers belongs to a running service; its messages wait in the temporary queue.
        await channel.QueueDeleteAsync(queue, ifUnused: true, ifEmpty: true, cancellationToken: cancellation);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: arguments, cancellationToken: cancellation);
        // MassTransit routes to a queue through the exchange of the same name; deleting the queue removed that binding.
        if (await ExchangeExistsAsync(connection, queue, cancellation))
        {
            await channel.QueueBindAsync(queue, queue, "", cancellationToken: cancellation);
        }
        int moved = await MoveAsync(channel, publisher, temporary, queue, cancellation);
        // Quorum queues refuse the if-empty flag; every message of the temporary queue was moved above.
        await channel.QueueDeleteAsync(temporary, ifUnused: false, ifEmpty: false, cancellationToken: cancellation);
        return new QueueUpgradeResult(queue, "upgraded from classic to quorum", moved);
    }
    /// <summary>Moves every message of <paramref name="from"/> to <paramref name="to"/>, each confirmed by the broker before it is acknowledged.</summary>
    private static async Task<int> MoveAsync(IChannel channel, IChannel publisher, string from, string to, CancellationToken cancellation)
    {
        int moved = 0;
        while (await channel.BasicGetAsync(from, autoAck: false, cancellation) is { } message)
        {
            // Headers the broker and the client set on delivery (x-delivery-count, x-death, …) are theirs to set again:
            // RabbitMQ refuses a quorum queue a message that carries its own x-delivery-count.
            var properties = new BasicProperties(message.BasicProperties)
            {
                Headers = message.BasicProperties.Headers?.Where(header => !header.Key.StartsWith("x-", StringComparison.Ordinal))
                    .ToDictionary(header => header.Key, header => header.Value),
            };
            await publisher.BasicPublishAsync("", to, mandatory: true, properties, message.Body, cancellation);
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellation);
            moved++;
        }
        return moved;
    }

    private static async Task<bool> ExistsAsync(IConnection connection, string queue, CancellationToken cancellation)
    {
        await using var probe = await connection.CreateChannelAsync(cancellationToken: cancellation);
        try
        {
            await probe.QueueDeclarePassiveAsync(queue, cancellation);
            return true;
        }
        catch (OperationInterruptedException error) when (error.ShutdownReason?.ReplyCode == Constants.NotFound)
        {
            return false;
        }
    }

    private static async Task<bool> ExchangeExistsAsync(IConnection connection, string exchange, CancellationToken cancellation)
    {
        await using var probe = await connection.CreateChannelAsync(cancellationToken: cancellation);
        try
        {
            await probe.ExchangeDeclarePassiveAsync(exchange, cancellation);
            return true;
        }
        catch (OperationInterruptedException error) when (error.ShutdownReason?.ReplyCode == Constants.NotFound)
        {
            return false;
        }
    }

    // The broker tells a queue's type only by refusing a declaration of another: a quorum declaration of a classic
    // queue fails with PRECONDITION_FAILED naming x-queue-type (on its own channel, which that closes).
    private static async Task<bool> IsQuorumAsync(IConnection connection, string queue, CancellationToken cancellation)
    {
        await using var probe = await connection.CreateChannelAsync(cancellationToken: cancellation);
        try
        {
            await probe.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = BusOptions.QuorumQueues }, cancellationToken: cancellation);
            return true;
        }
        catch (OperationInterruptedException error) when (error.ShutdownReason?.ReplyCode == Constants.PreconditionFailed)
        {
            // A quorum queue declared with more arguments than the probe's is refused for those, not for its type.
            return !(error.ShutdownReason.ReplyText?.Contains("'x-queue-type'", StringComparison.Ordinal) ?? false);
        }
    }
}
