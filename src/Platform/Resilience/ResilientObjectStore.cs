using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Platform.Resilience;

/// <summary>
/// Runs every call of another object store through one Polly pipeline: retries with exponential backoff and
/// jitter on transient faults only (<see cref="ObjectStoreFaults.IsTransient"/>), a timeout per attempt, and a
/// circuit breaker shared by all calls. An open circuit surfaces as a <see cref="BrokenCircuitException"/> that
/// names the store and the failure that opened it.
/// </summary>
/// <remarks>
/// <para>A put is retried with the whole content: a seekable stream is rewound to where it stood, any other
/// stream is first copied to a temporary file. A read is retried until the object starts arriving; then, for a
/// remote store, a body that breaks or stalls (no bytes for <see cref="ObjectStoreResilienceOptions.ReadIdleTimeout"/>)
/// is read on from where it stopped with a ranged GET through the same pipeline (<see cref="ResumingReadStream"/>). A
/// listing is collected in full inside the pipeline, so that a retry starts it over.</para>
/// <para>The decorator owns the inner store: disposing it disposes the inner store when that is disposable. It
/// keeps <see cref="ILocalObjectStore"/> when the inner store is one (see <see cref="Create"/>).</para>
/// </remarks>
public class ResilientObjectStore : IObjectStore, IDisposable
{
    private static readonly ResiliencePropertyKey<long> ContentLengthKey = new("SemanticMIM.ObjectStore.ContentLength");

    private readonly ResiliencePipeline _pipeline;
    private readonly string _name;

    private protected ResilientObjectStore(IObjectStore inner, ObjectStoreResilienceOptions options, ILogger? logger, TimeProvider? timeProvider)
    {
        Inner = inner;
        Options = options;
        _name = inner.ToString() ?? inner.GetType().Name;
        _pipeline = BuildPipeline(options, _name, logger, timeProvider ?? TimeProvider.System);
    }

    /// <summary>
    /// Wraps <paramref name="inner"/>; the result is also an <see cref="ILocalObjectStore"/> when
    /// <paramref name="inner"/> is one (a folder store keeps giving readers its file paths).
    /// </summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are out of range; every problem is listed.</exception>
    public static ResilientObjectStore Create(IObjectStore inner, ObjectStoreResilienceOptions? options = null, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        options = new ObjectStoreResilienceOptionsValidator().EnsureValid(options ?? new ObjectStoreResilienceOptions());
        return inner is ILocalObjectStore local
            ? new ResilientLocalObjectStore(local, options, logger, timeProvider)
            : new ResilientObjectStore(inner, options, logger, timeProvider);
    }

    public IObjectStore Inner { get; }

    public ObjectStoreResilienceOptions Options { get; }

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        ObjectKey.Validate(key);
        ArgumentNullException.ThrowIfNull(content);
        FileStream? spooled = null;
        try
        {
            var source = content;
            if (!content.CanSeek)
            {
                spooled = await TempFileSpool.SpoolAsync(content, cancellationToken).ConfigureAwait(false);
                source = spooled;
            }
            long start = source.Position;
            await RunAsync(static async (inner, state, token) =>
            {
                state.Source.Position = state.Start;
                await inner.PutAsync(state.Key, state.Source, token).ConfigureAwait(false);
                return true;
            }, (Key: key, Source: source, Start: start), cancellationToken, contentLength: source.Length - start).ConfigureAwait(false);
        }
        finally
        {
            if (spooled is not null)
            {
                await spooled.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var body = await RunAsync(static (inner, key, token) => inner.GetAsync(key, token), key, cancellationToken).ConfigureAwait(false);
        return Resuming(body, key, 0, long.MaxValue);
    }

    public async Task<Stream> GetRangeAsync(string key, long offset, long length, CancellationToken cancellationToken = default)
    {
        var body = await RangeAsync(key, offset, length, cancellationToken).ConfigureAwait(false);
        return Resuming(body, key, offset, length);
    }

    private Task<Stream> RangeAsync(string key, long offset, long length, CancellationToken cancellationToken) =>
        RunAsync(static (inner, state, token) => inner.GetRangeAsync(state.key, state.offset, state.length, token),
            (key, offset, length), cancellationToken);

    // A local file does not break mid-way; a remote body is read on with ranged GETs when it does.
    private Stream Resuming(Stream body, string key, long offset, long length) => Inner is ILocalObjectStore
        ? body
        : new ResumingReadStream(body, (read, token) => RangeAsync(key, offset + read, length == long.MaxValue ? long.MaxValue - offset - read : length - read, token),
            Options.ReadIdleTimeout, Options.MaxReadResumes);

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) =>
        RunAsync(static (inner, key, token) => inner.ExistsAsync(key, token), key, cancellationToken);

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var objects = await RunAsync(static async (inner, prefix, token) =>
        {
            var all = new List<StoredObject>();
            await foreach (var stored in inner.ListAsync(prefix, token).ConfigureAwait(false))
            {
                all.Add(stored);
            }
            return all;
        }, prefix, cancellationToken).ConfigureAwait(false);
        foreach (var stored in objects)
        {
            yield return stored;
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        RunAsync(static async (inner, key, token) =>
        {
            await inner.DeleteAsync(key, token).ConfigureAwait(false);
            return true;
        }, key, cancellationToken);

    public void Dispose()
    {
        (Inner as IDisposable)?.Dispose();
        GC.SuppressFinalize(this);
    }

    public override string ToString() => $"resilient {_name}";

    private async Task<T> RunAsync<T, TState>(Func<IObjectStore, TState, CancellationToken, Task<T>> call, TState state,
        CancellationToken cancellationToken, long? contentLength = null)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            if (contentLength is long length)
            {
                context.Properties.Set(ContentLengthKey, length);
            }
            return await _pipeline.ExecuteAsync(
                static async (ctx, s) => await s.call(s.Inner, s.state, ctx.CancellationToken).ConfigureAwait(false),
                context, (call, Inner, state)).ConfigureAwait(false);
        }
        catch (BrokenCircuitException e)
        {
            var cause = e.InnerException;
            string message = $"object store unavailable: the circuit breaker for {_name} is open after repeated failures"
                + (cause is null ? "" : $" (last: {cause.GetType().Name}: {cause.Message})")
                + (e.RetryAfter is { } after ? $"; calls are refused for about {after.TotalSeconds:0.#} s more" : "; calls are refused for now");
            throw e.RetryAfter is { } retryAfter
                ? new BrokenCircuitException(message, retryAfter, cause ?? e)
                : new BrokenCircuitException(message, cause ?? e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static ResiliencePipeline BuildPipeline(ObjectStoreResilienceOptions options, string name, ILogger? logger, TimeProvider timeProvider)
    {
        static ValueTask<bool> Transient(Outcome<object> outcome, ResilienceContext context) =>
            ValueTask.FromResult(outcome.Exception is { } e && ObjectStoreFaults.IsTransient(e, context.CancellationToken));

        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => Transient(args.Outcome, args.Context),
                MaxRetryAttempts = options.MaxRetryAttempts,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    logger?.LogWarning(args.Outcome.Exception, "{Store}: attempt {Attempt} failed ({Error}); retrying in {Delay} ms",
                        name, args.AttemptNumber + 1, args.Outcome.Exception?.Message, (long)args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            });
        }
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = args => Transient(args.Outcome, args.Context),
            FailureRatio = options.FailureRatio,
            MinimumThroughput = options.MinimumThroughput,
            SamplingDuration = options.SamplingDuration,
            BreakDuration = options.BreakDuration,
            OnOpened = args =>
            {
                logger?.LogError(args.Outcome.Exception, "{Store}: circuit opened for {Break} s after repeated failures", name, args.BreakDuration.TotalSeconds);
                return default;
            },
            OnClosed = _ =>
            {
                logger?.LogInformation("{Store}: circuit closed, the store answers again", name);
                return default;
            },
        });
        builder.AddTimeout(new TimeoutStrategyOptions
        {
            TimeoutGenerator = args => ValueTask.FromResult(AttemptTimeout(options, args.Context)),
        });
        return builder.Build();
    }

    private static TimeSpan AttemptTimeout(ObjectStoreResilienceOptions options, ResilienceContext context)
    {
        var timeout = options.AttemptTimeout;
        if (options.MinimumTransferBytesPerSecond > 0 && context.Properties.TryGetValue(ContentLengthKey, out long length) && length > 0)
        {
            timeout += TimeSpan.FromSeconds((double)length / options.MinimumTransferBytesPerSecond);
        }
        return timeout > TimeSpan.FromDays(1) ? TimeSpan.FromDays(1) : timeout;
    }

    /// <summary>The decorator of a store whose objects are local files: it keeps handing out their paths.</summary>
    private sealed class ResilientLocalObjectStore(ILocalObjectStore local, ObjectStoreResilienceOptions options, ILogger? logger, TimeProvider? timeProvider)
        : ResilientObjectStore(local, options, logger, timeProvider), ILocalObjectStore
    {
        public string LocalPath(string key) => ((ILocalObjectStore)Inner).LocalPath(key);
    }
}
