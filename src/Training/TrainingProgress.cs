namespace SemanticMIM.Training;

/// <summary>What one optimizer update did; <see cref="Step"/> counts updates from 1.</summary>
public sealed record TrainingProgress(int Step, int TotalSteps, double Loss, double LearningRate, double GradientNorm, double ImagesPerSecond);
