namespace SemanticMIM.Data.Views;

/// <summary>
/// One augmented view of a source image: the crop box in source pixels and whether the crop is mirrored. The
/// target stage records these, so the trainer renders exactly the pixels the targets were computed from.
/// </summary>
public readonly record struct CropView(int Left, int Top, int Width, int Height, bool Flip)
{
    /// <summary>Number of integers <see cref="ToArray"/> writes.</summary>
    public const int Fields = 5;

    /// <summary>The whole image, not mirrored: the view used for evaluation.</summary>
    public static CropView Whole(int width, int height) => new(0, 0, width, height, false);

    public int[] ToArray() => [Left, Top, Width, Height, Flip ? 1 : 0];

    public static CropView FromSpan(ReadOnlySpan<int> values)
    {
        if (values.Length != Fields)
            throw new ArgumentException($"A view has {Fields} fields, got {values.Length}.", nameof(values));
        if (values[4] is not (0 or 1))
            throw new ArgumentException($"A view's flip field must be 0 or 1, got {values[4]}.", nameof(values));
        return new CropView(values[0], values[1], values[2], values[3], values[4] == 1);
    }

    /// <summary>Throws unless the box lies inside an image of the given size.</summary>
    public void EnsureInside(int imageWidth, int imageHeight)
    {
        if (Left < 0 || Top < 0 || Width <= 0 || Height <= 0 || Left + Width > imageWidth || Top + Height > imageHeight)
            throw new ArgumentException($"View box ({Left}, {Top}, {Width}x{Height}) does not lie inside a {imageWidth}x{imageHeight} image.");
    }
}
