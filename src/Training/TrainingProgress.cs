namespace SemanticMIM.Training;

/// <summary>What one optimizer update did; <see cref="Step"/> counts updates from 1.</summary>
public sealed record TrainingProgress(int Step, int TotalSteps, double Loss, double LearningRate, double GradientNorm, double ImagesPerSecond)
{
    /// <summary>Where the update's time went.</summary>
    public StepPhases Phases { get; init; } = StepPhases.None;
}

/// <summary>
/// Seconds of one update's phases, summed over its micro-batches: taking the batches (<see cref="DataSeconds"/>), forward
/// pass and loss (<see cref="ForwardSeconds"/>), backward pass (<see cref="BackwardSeconds"/>), and the rest
/// (<see cref="UpdateSeconds"/>): zeroing the gradients and drawing the masks before, clipping and the optimizer's step after. On a GPU, kernels run asynchronously: a phase's time then
/// lands where the host next waits for the device (the loss's value), so only CPU phases are exact.
/// </summary>
public sealed record StepPhases(double DataSeconds, double ForwardSeconds, double BackwardSeconds, double UpdateSeconds)
{
    public static readonly StepPhases None = new(0, 0, 0, 0);
}
