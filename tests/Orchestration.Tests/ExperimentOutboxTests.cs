using MassTransit;
using Microsoft.Extensions.Logging.Abstractions;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Orchestration.Tests;

public sealed class ExperimentOutboxTests : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly ExperimentRepository _repository;
    private readonly ExperimentOutbox _outbox;

    public ExperimentOutboxTests()
    {
        _repository = new ExperimentRepository(new FolderObjectStore(_folder.Path), TimeProvider.System);
        _outbox = new ExperimentOutbox(_repository, NullLogger<ExperimentOutbox>.Instance);
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_publish_that_fails_leaves_the_messages_after_it_in_the_record_and_the_next_delivery_sends_them_in_order()
    {
        var record = new ExperimentRecord { Id = Guid.NewGuid(), SpecYaml = "name: x", Name = "x", Phase = ExperimentPhase.Targets };
        object[] decided =
        [
            new ComputeTargets { ExperimentId = record.Id, Shard = "shard-000000.tar" },
            new ComputeTargets { ExperimentId = record.Id, Shard = "shard-000001.tar" },
            new ComputeTargets { ExperimentId = record.Id, Shard = "shard-000002.tar" },
        ];
        var broken = new RecordingPublisher(failAt: 1);

        await Assert.ThrowsAsync<InvalidOperationException>(() => _outbox.SaveAndPublishAsync(record, decided, broken, CancellationToken.None));
        var left = await _repository.GetAsync(record.Id);
        var working = new RecordingPublisher(failAt: -1);
        var delivered = await _outbox.DeliverAsync(left, working, CancellationToken.None);

        Assert.Equal([decided[0]], broken.Published);
        Assert.Equal([decided[1], decided[2]], left.Outbox.Select(m => m.Read()));
        Assert.Equal([decided[1], decided[2]], working.Published);
        Assert.Empty(delivered.Outbox);
        Assert.Empty((await _repository.GetAsync(record.Id)).Outbox);
    }

    [Fact]
    public void Only_message_contracts_are_read_back_from_a_record()
    {
        var forged = OutboxMessage.Of(new ShardDataset { ExperimentId = Guid.NewGuid(), Split = "train" }) with { Type = "System.IO.FileInfo" };

        var error = Assert.Throws<InvalidDataException>(forged.Read);

        Assert.Contains("not a message contract", error.Message);
    }

    /// <summary>Keeps what it publishes; throws at the publish numbered <c>failAt</c> (from 0), as a broker that went away.</summary>
    private sealed class RecordingPublisher(int failAt) : IPublishEndpoint
    {
        public List<object> Published { get; } = [];

        public Task Publish(object message, Type messageType, CancellationToken cancellationToken = default)
        {
            if (Published.Count == failAt)
            {
                throw new InvalidOperationException("the broker is unreachable");
            }
            Published.Add(message);
            return Task.CompletedTask;
        }

        public ConnectHandle ConnectPublishObserver(IPublishObserver observer) => throw new NotSupportedException();

        public Task Publish<T>(T message, CancellationToken cancellationToken = default) where T : class => throw new NotSupportedException();

        public Task Publish<T>(T message, IPipe<PublishContext<T>> publishPipe, CancellationToken cancellationToken = default) where T : class =>
            throw new NotSupportedException();

        public Task Publish<T>(T message, IPipe<PublishContext> publishPipe, CancellationToken cancellationToken = default) where T : class =>
            throw new NotSupportedException();

        public Task Publish(object message, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task Publish(object message, IPipe<PublishContext> publishPipe, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task Publish(object message, Type messageType, IPipe<PublishContext> publishPipe, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task Publish<T>(object values, CancellationToken cancellationToken = default) where T : class => throw new NotSupportedException();

        public Task Publish<T>(object values, IPipe<PublishContext<T>> publishPipe, CancellationToken cancellationToken = default) where T : class =>
            throw new NotSupportedException();

        public Task Publish<T>(object values, IPipe<PublishContext> publishPipe, CancellationToken cancellationToken = default) where T : class =>
            throw new NotSupportedException();
    }
}
