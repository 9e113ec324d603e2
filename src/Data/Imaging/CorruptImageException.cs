namespace SemanticMIM.Data.Imaging;

/// <summary>An encoded image that cannot be decoded: unknown format, truncated data or a broken structure.</summary>
public sealed class CorruptImageException : Exception
{
    public CorruptImageException(string reason) : base(reason) => Reason = reason;

    public CorruptImageException(string reason, Exception inner) : base(reason, inner) => Reason = reason;

    public string Reason { get; }
}
