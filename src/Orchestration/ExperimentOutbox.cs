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

/// <summary>A durable record that keeps the messages its transitions decided until they are published.</summary>
public interface IOutboxRecord<TRecord> where TRecord : IOutboxRecord<TRecord>
{
    Guid Id { get; }

    IReadOnlyList<OutboxMessage> Outbox { get; }

    TRecord WithOutbox(IReadOnlyList<OutboxMessage> outbox);
}

/// <summary>
/// Delivers what a record's outbox holds: publishes each message in order and then saves the record without them. A
/// failure leaves the rest in the record, where the next delivery (the event's retry, the periodic sweep, or recovery
/// after a restart) finds them. Delivery is at least once; the consumers are idempotent by unit. The caller holds the
/// record's lock.
/// </summary>
public abstract partial class RecordOutbox<TRecord>(ILogger logger) where TRecord : class, IOutboxRecord<TRecord>
{
    /// <summary>Saves <paramref name="record"/> with <paramref name="messages"/> appended to its outbox, then delivers them.</summary>
    public async Task<TRecord> SaveAndPublishAsync(TRecord record, IEnumerable<object> messages, IPublishEndpoint publish, CancellationToken cancellation)
    {
        var pending = record.WithOutbox([.. record.Outbox, .. messages.Select(OutboxMessage.Of)]);
        await SaveAsync(pending, cancellation);
        return await DeliverAsync(pending, publish, cancellation);
    }

    /// <summary>Publishes the record's pending messages and saves it without them; returns the record as saved.</summary>
    public async Task<TRecord> DeliverAsync(TRecord record, IPublishEndpoint publish, CancellationToken cancellation)
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
                record = record.WithOutbox(record.Outbox.Skip(published).ToList());
                await SaveAsync(record, CancellationToken.None);
            }
        }
        LogDelivered(logger, typeof(TRecord).Name, record.Id, published);
        return record;
    }

    protected abstract Task SaveAsync(TRecord record, CancellationToken cancellation);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Kind} {Id}: {Count} pending message(s) published")]
    private static partial void LogDelivered(ILogger logger, string kind, Guid id, int count);
}

/// <summary>The outbox of <see cref="ExperimentRecord"/>s.</summary>
public sealed class ExperimentOutbox(ExperimentRepository repository, ILogger<ExperimentOutbox> logger) : RecordOutbox<ExperimentRecord>(logger)
{
    protected override Task SaveAsync(ExperimentRecord record, CancellationToken cancellation) => repository.SaveAsync(record, cancellation);
}
