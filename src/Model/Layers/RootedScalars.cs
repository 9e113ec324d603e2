using static TorchSharp.torch;

namespace SemanticMIM.Model.Layers;

/// <summary>
/// Scalars that live for the whole process. TorchSharp's <c>a + b</c> passes a temporary <see cref="Scalar"/> (alpha = 1)
/// whose finalizer may free it while the native add still reads it, when a loader thread's allocation starts a GC in that
/// window; the step's first add then fails at random with "Expected false to be true ... toFloat". A static is never
/// finalized.
/// </summary>
public static class RootedScalars
{
    /// <summary>1, the alpha of a plain tensor addition.</summary>
    public static readonly Scalar One = 1.ToScalar();
}
