namespace SemanticMIM.Platform.Messaging;

/// <summary>The message broker could not be reached or did not accept the connection in time.</summary>
public sealed class BusConnectionException : Exception
{
    public BusConnectionException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
