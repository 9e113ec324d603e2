using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Minio;
using Minio.DataModel.Args;
using Minio.Exceptions;
using SemanticMIM.Contracts.Storage;

namespace SemanticMIM.Platform.Storage;

/// <summary>
/// The object store of the cluster: one S3 object per key in one bucket (optionally under a key prefix), through
/// the Minio SDK. Depends on the S3 API only, not on MinIO-only features.
/// </summary>
/// <remarks>
/// <para>Puts are atomic by S3 semantics (a reader sees the old object or the new one). A put needs the length up
/// front: a seekable stream is sent from its current position; any other stream is first copied to a temporary
/// file, so that large shards never sit in memory (the SDK buffers one part, 5 MiB or more, at a time).</para>
/// <para>Reads do not go through the SDK's GetObject: it runs a callback inside the request and, in Minio 7.0.0,
/// its ranged form fails on every correct 206 answer (PartialContentException). A read instead sends a presigned
/// GET URL through <see cref="HttpClient"/> (with a Range header for <see cref="GetRangeAsync"/>) and returns the
/// response body as it arrives.</para>
/// <para>The bucket is created when missing, once: on <see cref="CreateAsync"/>, <see cref="EnsureBucketAsync"/>
/// or the first call, whichever comes first (a failed attempt is tried again by the next call).</para>
/// </remarks>
public sealed partial class S3ObjectStore : IObjectStore, IDisposable
{
    private const int PresignExpirySeconds = 15 * 60;
    private const string ContentType = "application/octet-stream";

    private readonly S3StoreOptions _options;
    private readonly string _bucket;
    private readonly string _keyPrefix;
    private readonly HttpClient _http;
    private readonly HttpClient _sdkHttp;
    private readonly IMinioClient _minio;
    private readonly Lock _gate = new();
    private Task? _bucketReady;

    public S3ObjectStore(S3StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        new S3StoreOptionsValidator().EnsureValid(options);
        _options = options;
        _bucket = options.Bucket;
        _keyPrefix = string.IsNullOrEmpty(options.KeyPrefix) ? "" : options.KeyPrefix.TrimEnd('/') + "/";
        var endpoint = new Uri(options.Endpoint, UriKind.Absolute);
        var sockets = new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
        };
        _http = new HttpClient(sockets, disposeHandler: false);
        _sdkHttp = new HttpClient(new BufferedAnswers(sockets), disposeHandler: true);
        _minio = new MinioClient()
            .WithEndpoint(endpoint.Host, endpoint.Port)
            .WithSSL(endpoint.Scheme == Uri.UriSchemeHttps)
            .WithCredentials(options.AccessKey, options.SecretKey)
            .WithRegion(options.Region)
            .WithHttpClient(_sdkHttp, disposeHttpClient: false)
            .Build();
    }

    /// <summary>Creates a store and its bucket when missing.</summary>
    public static async Task<S3ObjectStore> CreateAsync(S3StoreOptions options, CancellationToken cancellationToken = default)
    {
        var store = new S3ObjectStore(options);
        try
        {
            await store.EnsureBucketAsync(cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    public string Bucket => _bucket;

    /// <summary>Creates the bucket when it does not exist; after the first success this costs nothing.</summary>
    public Task EnsureBucketAsync(CancellationToken cancellationToken = default)
    {
        Task ready;
        lock (_gate)
        {
            if (_bucketReady is null || _bucketReady.IsFaulted || _bucketReady.IsCanceled)
            {
                _bucketReady = CreateBucketIfMissingAsync(cancellationToken);
            }
            ready = _bucketReady;
        }
        return ready.IsCompletedSuccessfully ? Task.CompletedTask : ready.WaitAsync(cancellationToken);
    }

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        string name = ObjectName(key);
        ArgumentNullException.ThrowIfNull(content);
        await EnsureBucketAsync(cancellationToken).ConfigureAwait(false);
        if (content.CanSeek)
        {
            await PutCoreAsync(key, name, content, content.Length - content.Position, cancellationToken).ConfigureAwait(false);
            return;
        }
        await using var spooled = await TempFileSpool.SpoolAsync(content, cancellationToken).ConfigureAwait(false);
        await PutCoreAsync(key, name, spooled, spooled.Length, cancellationToken).ConfigureAwait(false);
    }

    private Task PutCoreAsync(string key, string name, Stream content, long length, CancellationToken cancellationToken) =>
        Translate($"put '{key}'", async () =>
        {
            await _minio.PutObjectAsync(new PutObjectArgs()
                .WithBucket(_bucket)
                .WithObject(name)
                .WithStreamData(content)
                .WithObjectSize(length)
                .WithContentType(ContentType), cancellationToken).ConfigureAwait(false);
            return true;
        });

    public async Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        string name = ObjectName(key);
        await EnsureBucketAsync(cancellationToken).ConfigureAwait(false);
        var response = await SendGetAsync(key, name, range: null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return await BodyAsync(response, skip: 0, limit: long.MaxValue, cancellationToken).ConfigureAwait(false);
        }
        throw await FailureAsync(response, key, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Stream> GetRangeAsync(string key, long offset, long length, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        string name = ObjectName(key);
        if (length == 0)
        {
            return await ExistsAsync(key, cancellationToken).ConfigureAwait(false)
                ? new MemoryStream([], writable: false)
                : throw NotFound(key);
        }
        await EnsureBucketAsync(cancellationToken).ConfigureAwait(false);
        long? last = length - 1 > long.MaxValue - offset ? null : offset + length - 1;
        var response = await SendGetAsync(key, name, new RangeHeaderValue(offset, last), cancellationToken).ConfigureAwait(false);
        switch (response.StatusCode)
        {
            case HttpStatusCode.PartialContent:
                long limit;
                try
                {
                    limit = RangeLength(response, offset, length);
                }
                catch
                {
                    response.Dispose();
                    throw;
                }
                if (limit == 0)
                {
                    response.Dispose();
                    return new MemoryStream([], writable: false);
                }
                return await BodyAsync(response, skip: 0, limit: limit, cancellationToken).ConfigureAwait(false);
            case HttpStatusCode.OK:
                // A server that ignores Range answers with the whole object: skip to the range.
                return await BodyAsync(response, skip: offset, limit: length, cancellationToken).ConfigureAwait(false);
            case HttpStatusCode.RequestedRangeNotSatisfiable:
                // The object exists and the range starts at or past its end.
                response.Dispose();
                return new MemoryStream([], writable: false);
            default:
                throw await FailureAsync(response, key, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default)
    {
        string name = ObjectName(key);
        await EnsureBucketAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Translate($"stat '{key}'", async () =>
            {
                await _minio.StatObjectAsync(new StatObjectArgs().WithBucket(_bucket).WithObject(name), cancellationToken).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        await EnsureBucketAsync(cancellationToken).ConfigureAwait(false);
        var objects = await Translate($"list '{prefix}'", () => ListAllAsync(prefix, cancellationToken)).ConfigureAwait(false);
        foreach (var stored in objects)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return stored;
        }
    }

    /// <summary>
    /// S3 lists in UTF-8 byte order, which is ordinal order for the ASCII keys <see cref="ObjectKey"/> allows; the
    /// listing is still sorted here so that no server's quirk can break the contract. It is held in memory: a
    /// listing is metadata, and a retried listing must start over anyway.
    /// </summary>
    private async Task<List<StoredObject>> ListAllAsync(string prefix, CancellationToken cancellationToken)
    {
        var objects = new List<StoredObject>();
        var args = new ListObjectsArgs().WithBucket(_bucket).WithPrefix(_keyPrefix + prefix).WithRecursive(true);
        await foreach (var item in _minio.ListObjectsEnumAsync(args, cancellationToken).ConfigureAwait(false))
        {
            if (item.IsDir || item.Key is null || !item.Key.StartsWith(_keyPrefix, StringComparison.Ordinal))
            {
                continue;
            }
            objects.Add(new StoredObject(item.Key[_keyPrefix.Length..], (long)item.Size));
        }
        objects.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return objects;
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        string name = ObjectName(key);
        await EnsureBucketAsync(cancellationToken).ConfigureAwait(false);
        await Translate($"delete '{key}'", async () =>
        {
            await _minio.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(_bucket).WithObject(name), cancellationToken).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _minio.Dispose();
        _http.Dispose();
        _sdkHttp.Dispose();
    }

    public override string ToString() => $"S3 store {_options}";

    private string ObjectName(string key) => _keyPrefix + ObjectKey.Validate(key);

    private async Task CreateBucketIfMissingAsync(CancellationToken cancellationToken)
    {
        await Translate($"create bucket '{_bucket}'", async () =>
        {
            if (await _minio.BucketExistsAsync(new BucketExistsArgs().WithBucket(_bucket), cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
            try
            {
                await _minio.MakeBucketAsync(new MakeBucketArgs().WithBucket(_bucket).WithLocation(_options.Region), cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException e) when (e.Message.StartsWith("Bucket already owned by you", StringComparison.Ordinal))
            {
                // Another process created it in between: Minio 7.0.0 reports BucketAlreadyOwnedByYou this way.
            }
            return true;
        }).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendGetAsync(string key, string name, RangeHeaderValue? range, CancellationToken cancellationToken)
    {
        string url = await Translate($"presign '{key}'", () =>
            _minio.PresignedGetObjectAsync(new PresignedGetObjectArgs().WithBucket(_bucket).WithObject(name).WithExpiry(PresignExpirySeconds))).ConfigureAwait(false);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = range;
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The bytes a 206 answer really holds, from its Content-Range: s3rver answers a range of an empty object with
    /// "bytes 0-0/0" and a Content-Length of 1 but sends no byte, which would fail the read. .NET does not parse
    /// such a header into <see cref="ContentRangeHeaderValue"/>, so it is read here as sent.
    /// </summary>
    private static long RangeLength(HttpResponseMessage response, long offset, long length)
    {
        if (!response.Content.Headers.NonValidated.TryGetValues("Content-Range", out var values))
        {
            return length;
        }
        var match = ContentRange().Match(values.ToString());
        if (!match.Success)
        {
            return length;
        }
        long from = long.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
        long to = long.Parse(match.Groups[2].ValueSpan, CultureInfo.InvariantCulture);
        if (from != offset)
        {
            throw new HttpRequestException($"{response.RequestMessage?.RequestUri?.AbsolutePath}: asked for bytes from {offset}, the server sent Content-Range '{values}'", null, response.StatusCode);
        }
        length = Math.Min(length, Math.Max(0, to - from + 1));
        if (match.Groups[3].Value is { Length: > 0 } total && total != "*")
        {
            length = Math.Min(length, Math.Max(0, long.Parse(total, CultureInfo.InvariantCulture) - from));
        }
        return length;
    }

    [GeneratedRegex(@"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")]
    private static partial Regex ContentRange();

    private static async Task<Stream> BodyAsync(HttpResponseMessage response, long skip, long limit, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new RangeReadStream(body, skip, limit, owner: response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>The exception for a GET that did not succeed: not found, refused, or an HTTP error with its status.</summary>
    private async Task<Exception> FailureAsync(HttpResponseMessage response, string key, CancellationToken cancellationToken)
    {
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return NotFound(key);
            }
            string body;
            try
            {
                body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                body = body.Length > 512 ? body[..512] + "…" : body;
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                body = "";
            }
            string message = $"GET '{key}' from {this} failed with HTTP {(int)response.StatusCode} {response.ReasonPhrase}: {body}".TrimEnd(' ', ':');
            return response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized
                ? new UnauthorizedAccessException(message)
                : new HttpRequestException(message, inner: null, response.StatusCode);
        }
    }

    private FileNotFoundException NotFound(string key) =>
        new($"object '{key}' does not exist in {this}", key);

    /// <summary>
    /// Reads each answer to the SDK whole before the SDK sees it, under the call's cancellation token. Minio 7.0.0 reads
    /// a body (a listing, an error) without the token, so a body that stalled mid-way blocked the call forever: the
    /// retry pipeline's timeout cancels the token and waits for the call to notice. Its answers are small XML documents.
    /// </summary>
    private sealed class BufferedAnswers(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            try
            {
                await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
                return response;
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// Runs a Minio call and turns the SDK's exceptions into the store's contract: a missing object is a
    /// <see cref="FileNotFoundException"/>, refused credentials or access (403) an
    /// <see cref="UnauthorizedAccessException"/>, a bucket deleted under the store an <see cref="IOException"/>, and
    /// the SDK's own failure on a 5xx answer without a body (a <see cref="NullReferenceException"/> thrown from its
    /// error parser) an <see cref="IOException"/>. Connection failures stay <see cref="HttpRequestException"/>s and
    /// other server errors stay Minio exceptions, which <c>ObjectStoreFaults</c> classifies.
    /// </summary>
    private async Task<T> Translate<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ObjectNotFoundException e)
        {
            throw new FileNotFoundException($"{what}: the object does not exist in {this}", e);
        }
        catch (BucketNotFoundException e)
        {
            lock (_gate)
            {
                _bucketReady = null; // deleted while in use: the next call creates it again
            }
            throw new IOException($"{what}: bucket '{_bucket}' does not exist at {_options.Endpoint} (deleted while in use?); the next call creates it again", e);
        }
        catch (Exception e) when (e is AuthorizationException or AccessDeniedException or ForbiddenException
            || (e is MinioException { Response.Code: "AccessDenied" or "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "AllAccessDisabled" }))
        {
            throw new UnauthorizedAccessException($"{what}: {this} refused the credentials: {e.Message}", e);
        }
        catch (NullReferenceException e) when (e.TargetSite?.DeclaringType?.Assembly == typeof(IMinioClient).Assembly)
        {
            throw new IOException($"{what}: {this} answered with an error the Minio SDK could not read (a server error without a body)", e);
        }
    }
}
