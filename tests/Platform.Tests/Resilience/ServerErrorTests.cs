using System.Net;
using System.Net.Sockets;
using System.Text;
using SemanticMIM.Platform.Resilience;
using SemanticMIM.Platform.Storage;
using Xunit.Abstractions;

namespace SemanticMIM.Platform.Tests.Resilience;

/// <summary>
/// What the S3 store throws when a server answers with an error, against a scripted HTTP server on loopback
/// (s3rver cannot be made to fail), and that the decorator retries what is transient.
/// </summary>
public sealed class ServerErrorTests(ITestOutputHelper output)
{
    private const string InternalError =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><Resource>/b/k</Resource><RequestId>1</RequestId></Error>";

    private const string AccessDenied =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><Resource>/b/k</Resource><RequestId>1</RequestId></Error>";

    [Fact]
    public async Task ServerErrorsAreTransientAndAccessDeniedIsNot()
    {
        await using var server = new ScriptedServer((method, path) =>
            method == "HEAD" && path.TrimEnd('/') == "/semanticmim" ? (200, "") : path.Contains("denied", StringComparison.Ordinal) ? (403, AccessDenied) : (500, InternalError));
        using var store = new S3ObjectStore(server.Options());

        var stat = await Assert.ThrowsAnyAsync<Exception>(() => store.ExistsAsync("k"));
        var put = await Assert.ThrowsAnyAsync<Exception>(() => store.PutAsync("k", new MemoryStream([1, 2, 3])));
        var list = await Assert.ThrowsAnyAsync<Exception>(async () => await store.ListAsync("").ToListAsync());
        var get = await Assert.ThrowsAnyAsync<Exception>(() => store.GetAsync("k"));
        var denied = await Assert.ThrowsAnyAsync<Exception>(() => store.PutAsync("denied", new MemoryStream([1])));
        var deniedGet = await Assert.ThrowsAnyAsync<Exception>(() => store.GetAsync("denied"));

        foreach (var (what, error) in new[] { ("HEAD 500 (no body)", stat), ("PUT 500", put), ("LIST 500", list), ("GET 500", get), ("PUT 403", denied), ("GET 403", deniedGet) })
        {
            output.WriteLine($"{what}: {error.GetType().FullName}: {error.Message} (inner: {error.InnerException?.GetType().FullName})");
        }
        Assert.All(new[] { stat, put, list, get }, e => Assert.True(ObjectStoreFaults.IsTransient(e), e.ToString()));
        Assert.IsType<IOException>(stat);
        Assert.IsType<NullReferenceException>(stat.InnerException);
        Assert.IsType<Minio.Exceptions.UnexpectedMinioException>(put);
        Assert.Equal(HttpStatusCode.InternalServerError, Assert.IsType<HttpRequestException>(get).StatusCode);
        Assert.All(new[] { denied, deniedGet }, e => Assert.IsType<UnauthorizedAccessException>(e));
        Assert.All(new[] { denied, deniedGet }, e => Assert.False(ObjectStoreFaults.IsTransient(e), e.ToString()));
    }

    [Fact]
    public async Task TheDecoratorRetriesServerErrorsUntilThePutGoesThrough()
    {
        int puts = 0;
        await using var server = new ScriptedServer((method, path) => method switch
        {
            "HEAD" => (200, ""),
            "PUT" => Interlocked.Increment(ref puts) <= 2 ? (503, InternalError.Replace("InternalError", "SlowDown", StringComparison.Ordinal)) : (200, ""),
            _ => (500, InternalError),
        });
        using var store = ResilientObjectStore.Create(new S3ObjectStore(server.Options()), new ObjectStoreResilienceOptions
        {
            BaseDelay = TimeSpan.FromMilliseconds(1),
            MaxDelay = TimeSpan.FromMilliseconds(5),
        });

        await store.PutAsync("k", new MemoryStream(Encoding.UTF8.GetBytes("payload")));

        Assert.Equal(3, puts);
        Assert.All(server.Bodies.Where(b => b.Method == "PUT"), b => Assert.Equal("payload", b.Body));
    }

    /// <summary>A one-request-per-connection HTTP/1.1 server that answers each request as a script says.</summary>
    private sealed class ScriptedServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Func<string, string, (int Status, string Body)> _script;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public ScriptedServer(Func<string, string, (int Status, string Body)> script)
        {
            _script = script;
            _listener.Start();
            _loop = Task.Run(AcceptLoop);
        }

        public List<(string Method, string Path, string Body)> Bodies { get; } = [];

        public S3StoreOptions Options() => new()
        {
            Endpoint = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}",
            AccessKey = "key",
            SecretKey = "secret",
            ConnectTimeout = TimeSpan.FromSeconds(2),
        };

        private async Task AcceptLoop()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                _ = Task.Run(() => Serve(client));
            }
        }

        private async Task Serve(TcpClient client)
        {
            using (client)
            {
                var stream = client.GetStream();
                var head = new StringBuilder();
                var one = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
                {
                    if (await stream.ReadAsync(one) == 0)
                    {
                        return;
                    }
                    head.Append((char)one[0]);
                }
                var lines = head.ToString().Split("\r\n");
                var requestLine = lines[0].Split(' ');
                string method = requestLine[0], path = requestLine[1].Split('?')[0];
                long length = lines.Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    .Select(l => long.Parse(l["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
                var body = new byte[length];
                await stream.ReadExactlyAsync(body);
                lock (Bodies)
                {
                    Bodies.Add((method, path, Encoding.UTF8.GetString(body)));
                }

                var (status, text) = _script(method, path);
                var payload = method == "HEAD" ? [] : Encoding.UTF8.GetBytes(text);
                string response = $"HTTP/1.1 {status} {(status == 200 ? "OK" : "Error")}\r\nContent-Type: application/xml\r\n"
                    + $"Content-Length: {payload.Length}\r\nETag: \"0123456789abcdef\"\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response));
                await stream.WriteAsync(payload);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
            _stop.Dispose();
        }
    }
}
