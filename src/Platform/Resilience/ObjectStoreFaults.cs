using System.Net;
using System.Net.Sockets;
using Minio.Exceptions;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace SemanticMIM.Platform.Resilience;

/// <summary>Which failures of an object store are worth another attempt.</summary>
public static class ObjectStoreFaults
{
    /// <summary>S3 error codes that mean "try again" (the server is busy, failing or timed out).</summary>
    private static readonly HashSet<string> TransientS3Codes = new(StringComparer.OrdinalIgnoreCase)
    {
        "InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout", "OperationAborted", "ServerBusy",
    };

    /// <summary>
    /// True for a failure that another attempt may not meet: a refused or dropped connection
    /// (<see cref="HttpRequestException"/> without a status, <see cref="SocketException"/>), an HTTP 5xx, 408 or
    /// 429, an <see cref="IOException"/> other than a missing file or folder, a timeout (Polly's
    /// <see cref="TimeoutRejectedException"/>, or a cancellation the caller did not ask for), and Minio's
    /// connection and server errors. Never a missing object, an invalid argument, refused credentials or an open
    /// circuit.
    /// </summary>
    /// <param name="exception">The failure.</param>
    /// <param name="callerToken">The caller's token: a cancellation it asked for is not a fault.</param>
    public static bool IsTransient(Exception exception, CancellationToken callerToken = default)
    {
        ArgumentNullException.ThrowIfNull(exception);
        switch (exception)
        {
            case FileNotFoundException or DirectoryNotFoundException:
            case ArgumentException:
            case UnauthorizedAccessException:
            case BrokenCircuitException:
            case NotSupportedException:
                return false;
            case TimeoutRejectedException:
                return true;
            case OperationCanceledException:
                return !callerToken.IsCancellationRequested;
            case HttpRequestException http:
                return http.StatusCode is null or >= HttpStatusCode.InternalServerError
                    or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
            case IOException:
            case SocketException:
            case TimeoutException:
                return true;
            case ConnectionException or InternalServerException:
                return true;
            case MinioException minio:
                if (minio.Response?.Code is { } code && TransientS3Codes.Contains(code))
                {
                    return true;
                }
                if (minio.ServerResponse is { } response && (int)response.StatusCode >= 500)
                {
                    return true;
                }
                return minio.InnerException is { } inner && IsTransient(inner, callerToken);
            case AggregateException aggregate:
                return aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(e => IsTransient(e, callerToken));
            default:
                return false;
        }
    }
}
