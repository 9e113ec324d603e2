using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Png;

/// <summary>The raw samples of a palette or grayscale PNG; <see cref="Palette"/> is null for grayscale.</summary>
public sealed record IndexedPng(LabelMap Indices, ColorPalette? Palette);
