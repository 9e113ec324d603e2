using static TorchSharp.torch;

namespace SemanticMIM.Training;

/// <summary>One micro-batch: images (B, C, H, W) and targets for every patch, ids (B, N) or HOG features (B, N, F).</summary>
public sealed record TrainingBatch(Tensor Images, Tensor Targets);

/// <summary>
/// A deterministic stream of training samples. The batch it yields is a function of <see cref="Position"/>
/// alone, so a checkpoint that records the position resumes the exact same stream.
/// </summary>
public interface IBatchSource
{
    /// <summary>Samples drawn so far.</summary>
    long Position { get; }

    /// <summary>
    /// The next <paramref name="batchSize"/> samples; advances <see cref="Position"/> by that many. The tensors
    /// belong to the caller's dispose scope.
    /// </summary>
    TrainingBatch Next(int batchSize);

    /// <summary>Moves to <paramref name="position"/>, as if that many samples had been drawn.</summary>
    void Seek(long position);
}
