namespace SemanticMIM.Planning.Configs;

/// <summary>
/// The recorded views' augmentation (spec (c)): RandomResizedCrop with area scale in [<see cref="MinScale"/>,
/// <see cref="MaxScale"/>] and, when <see cref="Flip"/>, a horizontal flip, drawn from a stream fixed by <see cref="Seed"/>.
/// </summary>
public sealed record ViewAugmentation(double MinScale, double MaxScale, bool Flip, long Seed);
