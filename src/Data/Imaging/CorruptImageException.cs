namespace SemanticMIM.Data.Imaging;

/// <summary>An encoded image that cannot be decoded: unknown format, truncated data, a broken structure, or too large.</summary>
public sealed class CorruptImageException : Exception
{
    public CorruptImageException(string reason, ImageProblem problem = ImageProblem.Corrupt) : base(reason)
    {
        Reason = reason;
        Problem = problem;
    }

    public CorruptImageException(string reason, Exception inner) : base(reason, inner) => Reason = reason;

    public string Reason { get; }

    public ImageProblem Problem { get; }
}
