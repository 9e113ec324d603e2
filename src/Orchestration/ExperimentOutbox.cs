using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Logging;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Orchestration;

/// <summary>A message the orchestrator decided to publish, kept in its experiment's record until it is.</summary>
/// <param name="Type">The message's type, one of the contracts in <c>SemanticMIM.Contracts.Messages</c>.</param>
public sealed record OutboxMessage(string Type, JsonElement Message)
{
    public static OutboxMessage Of(object message) =>
        new(message.GetType().FullName!, JsonSerializer.SerializeToElement(message, message.GetType(), ObjectStoreJson.Records));

    /// <summary>The message again; only message contracts are read back (a record from the store names the type).</summary>
    public object Read()
    {
        var contracts = typeof(StartExperiment).Assembly;
        var type = contracts.GetType(Type, throwOnError: false);
        if (type is null || type.Namespace != typeof(StartExperiment).Namespace)
        {
            throw new InvalidDataException($"the outbox names '{Type}', which is not a message contract");
        }
        return Message.Deserialize(type, ObjectStoreJson.Records) ?? throw new InvalidDataException($"the outbox holds an empty {Type}");
    }
}

/// <summary>
/// Delivers what a record's <see cref="ExperimentRecord.Outbox"/> holds: publishes each message in order and then
/// saves the record without them. A failure leaves the rest in the record, where the next delivery (the event's
/// retry, the periodic sweep, or recovery after a restart) finds them. Delivery is at least once; the consumers are
/// idempotent by unit. The caller holds the experiment's lock.
/// </summary>
public sealed partial class ExperimentOutbox(ExperimentRepository repository, ILogger<ExperimentOutbox> logger)
{
    /// <summary>Saves <paramref name="record"/> with <paramref name="messages"/> appended to its outbox, then delivers them.</summary>
    public async Task<ExperimentRecord> SaveAndPublishAsync(ExperimentRecord record, IEnumerable<object> messages, IPublishEndpoint publish,
        CancellationToken cancellation)
    {
        var pending = record with { Outbox = [.. record.Outbox, .. messages.Select(OutboxMessage.Of)] };
        await repository.SaveAsync(pending, cancellation);
        return await DeliverAsync(pending, publish, cancellation);
    }

    /// <summary>Publishes the record's pending messages and saves it without them; returns the record as saved.</summary>
    public async Task<ExperimentRecord> DeliverAsync(ExperimentRecord record, IPublishEndpoint publish, CancellationToken cancellation)
    {
        if (record.Outbox.Count == 0)
        {
            return record;
        }
        int published = 0;
        try
        {
            foreach (var pending in record.Outbox)
            {
                var message = pending.Read();
                await publish.Publish(message, message.GetType(), cancellation);
                published++;
            }
        }
        finally
        {
            if (published > 0)
            {
                record = record with { Outbox = record.Outbox.Skip(published).ToList() };
                await repository.SaveAsync(record, CancellationToken.None);
            }
        }
        LogDelivered(record.Id, published);
        return record;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Experiment {Id}: {Count} pending message(s) published")]
    partial void LogDelivered(Guid id, int count);
}
