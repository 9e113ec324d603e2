using System.Net;
using System.Net.Sockets;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using SemanticMIM.Platform.Hosting;

namespace SemanticMIM.Platform.Jobs.Kubernetes;

/// <summary>How calls to the Kubernetes API are retried and timed out (configuration <c>Jobs:Api</c>, checked by <see cref="KubernetesApiResilienceOptionsValidator"/>).</summary>
public sealed class KubernetesApiResilienceOptions
{
    /// <summary>Retries after the first attempt of a call that failed transiently (0: no retry).</summary>
    public int MaxRetryAttempts { get; set; } = 5;

    /// <summary>The first retry's delay; later ones grow exponentially, with jitter.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one attempt may take.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Every problem of <see cref="KubernetesApiResilienceOptions"/> (the ranges Polly accepts), each naming its key in <c>Jobs:Api</c>.</summary>
public sealed class KubernetesApiResilienceOptionsValidator : OptionsValidator<KubernetesApiResilienceOptions>
{
    static readonly TimeSpan OneDay = TimeSpan.FromDays(1);

    protected override IEnumerable<string> Problems(KubernetesApiResilienceOptions options)
    {
        if (options.MaxRetryAttempts is < 0 or > 100)
        {
            yield return $"Jobs:Api:MaxRetryAttempts {options.MaxRetryAttempts} must be between 0 and 100.";
        }

        if (options.BaseDelay < TimeSpan.Zero || options.BaseDelay > OneDay)
        {
            yield return $"Jobs:Api:BaseDelay {Format(options.BaseDelay)} must be between 00:00:00 and 1.00:00:00.";
        }

        if (options.MaxDelay <= TimeSpan.Zero || options.MaxDelay > OneDay || options.MaxDelay < options.BaseDelay)
        {
            yield return $"Jobs:Api:MaxDelay {Format(options.MaxDelay)} must be positive, at most 1.00:00:00 and not below BaseDelay.";
        }

        if (options.AttemptTimeout < TimeSpan.FromMilliseconds(10) || options.AttemptTimeout > OneDay)
        {
            yield return $"Jobs:Api:AttemptTimeout {Format(options.AttemptTimeout)} must be between 00:00:00.010 and 1.00:00:00.";
        }
    }
}

/// <summary>What the Kubernetes API answered, and which failures are worth another attempt.</summary>
public static class KubernetesApiErrors
{
    /// <summary>
    /// The HTTP status of a failed API call: from a <see cref="HttpOperationException"/> (a non-success response), a
    /// <see cref="KubernetesException"/> (a <c>Status</c> object, e.g. a watch's <c>ERROR</c> event) or an
    /// <see cref="HttpRequestException"/> that carries one; null for anything else (a dropped connection).
    /// </summary>
    public static HttpStatusCode? StatusOf(Exception? exception) => exception switch
    {
        HttpOperationException { Response: { } response } => response.StatusCode,
        KubernetesException { Status.Code: { } code } => (HttpStatusCode)code,
        HttpRequestException { StatusCode: { } code } => code,
        _ => null,
    };

    public static bool IsNotFound(Exception exception) => StatusOf(exception) == HttpStatusCode.NotFound;

    /// <summary>409: AlreadyExists on a create, Conflict (a stale <c>resourceVersion</c>) on a replace.</summary>
    public static bool IsConflict(Exception exception) => StatusOf(exception) == HttpStatusCode.Conflict;

    /// <summary>410: the watched <c>resourceVersion</c> is too old (compacted); list again.</summary>
    public static bool IsGone(Exception exception) => StatusOf(exception) == HttpStatusCode.Gone;

    /// <summary>
    /// True for a failure another attempt may not meet: an answer 5xx or 429, a refused or dropped connection, an
    /// attempt that timed out (Polly's <see cref="TimeoutRejectedException"/>, or a cancellation the caller did not ask
    /// for). Never another 4xx: 409 in particular is an answer its caller acts on (already exists, lost a race).
    /// </summary>
    public static bool IsTransient(Exception exception, CancellationToken callerToken = default)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (StatusOf(exception) is { } status)
        {
            return (int)status >= 500 || status == HttpStatusCode.TooManyRequests;
        }

        return exception switch
        {
            TimeoutRejectedException => true,
            OperationCanceledException => !callerToken.IsCancellationRequested,
            HttpRequestException or IOException or SocketException or TimeoutException => true,
            _ => false,
        };
    }

    /// <summary>A one-line account of a failed call for logs and messages.</summary>
    public static string Describe(Exception exception) =>
        StatusOf(exception) is { } status ? $"{(int)status} {status}" : $"{exception.GetType().Name}: {exception.Message}";
}

/// <summary>
/// The Polly pipeline every Kubernetes API call of the launcher goes through: retries with exponential backoff and
/// jitter on transient failures only (<see cref="KubernetesApiErrors.IsTransient"/>), and a timeout per attempt.
/// </summary>
public static partial class KubernetesApiResilience
{
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are out of range; every problem is listed.</exception>
    public static ResiliencePipeline CreatePipeline(KubernetesApiResilienceOptions? options = null, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        options = new KubernetesApiResilienceOptionsValidator().EnsureValid(options ?? new KubernetesApiResilienceOptions());

        var builder = new ResiliencePipelineBuilder { Name = "kubernetes-api" };
        if (timeProvider is not null)
        {
            builder.TimeProvider = timeProvider;
        }

        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } error && KubernetesApiErrors.IsTransient(error, args.Context.CancellationToken)),
                OnRetry = args =>
                {
                    if (logger is not null && args.Outcome.Exception is { } error)
                    {
                        LogRetry(logger, args.AttemptNumber + 1, options.MaxRetryAttempts, args.RetryDelay, KubernetesApiErrors.Describe(error));
                    }

                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder.AddTimeout(options.AttemptTimeout).Build();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kubernetes API call failed ({Error}); retry {Retry} of {MaxRetries} in {Delay}")]
    static partial void LogRetry(ILogger logger, int retry, int maxRetries, TimeSpan delay, string error);
}
