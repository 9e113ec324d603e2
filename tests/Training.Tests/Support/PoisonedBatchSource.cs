using static TorchSharp.torch;

namespace SemanticMIM.Training.Tests.Support;

/// <summary>Wraps a source and turns the targets of one micro-batch (counted from 1) into NaN.</summary>
internal sealed class PoisonedBatchSource(IBatchSource inner, int poisonedBatch, int batchSize) : IBatchSource
{
    public long Position => inner.Position;

    public TrainingBatch Next(int size)
    {
        bool poisoned = inner.Position == (long)(poisonedBatch - 1) * batchSize;
        var batch = inner.Next(size);
        return poisoned ? batch with { Targets = full_like(batch.Targets, double.NaN) } : batch;
    }

    public void Seek(long position) => inner.Seek(position);
}
