using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SemanticMIM.Tests.Shared;

/// <summary>How <see cref="FaultyS3Proxy"/> fails an HTTP exchange.</summary>
public enum StoreFault
{
    /// <summary>An S3 error answer (500 InternalError or 503 SlowDown); the request never reaches the server.</summary>
    ServerError,

    /// <summary>The request reaches the server, but the connection is reset before any byte of the answer.</summary>
    ResetBeforeAnswer,

    /// <summary>The answer's headers and part of its body arrive, then the connection is reset.</summary>
    ResetMidBody,

    /// <summary>The answer's headers and part of its body arrive, then nothing more until the client hangs up.</summary>
    StallMidBody,
}

/// <summary>
/// An HTTP/1.1 relay on loopback in front of an S3 server that fails a seeded share of its exchanges, spread
/// over the kinds of <see cref="StoreFault"/>. Requests are forwarded as sent, so AWS signatures stay valid, but for
/// their hop-by-hop headers: one exchange per connection, with <c>Connection: close</c> on both sides, so that the
/// server's answer ends where its connection does and the client never reuses a connection the proxy may break.
/// </summary>
/// <remarks>
/// A fault that cuts a body needs an answer with at least two body bytes; a GET drawn for one whose answer is shorter
/// loses its answer whole (<see cref="StoreFault.ResetBeforeAnswer"/>). Which exchange fails depends on the order
/// requests arrive in, so a run with concurrent requests draws the same share of faults but not always on the same
/// requests.
/// </remarks>
public sealed class FaultyS3Proxy : IAsyncDisposable
{
    private static readonly StoreFault[] Kinds = Enum.GetValues<StoreFault>();
    private static readonly TimeSpan UpstreamPatience = TimeSpan.FromMinutes(2);

    private readonly Uri _upstream;
    private readonly StoreFault[] _getTurns;
    private readonly StoreFault[] _otherTurns;
    private readonly Random _random;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<int, Task> _exchanges = new();
    private readonly ConcurrentDictionary<StoreFault, int> _faults = new();
    private readonly ConcurrentDictionary<string, int> _methods = new();
    private readonly ConcurrentDictionary<int, string> _inFlight = new();
    private readonly ConcurrentQueue<string> _journal = new();
    private readonly Task _accepting;
    private int _requests;
    private int _nextExchange;
    private int _getFaults;
    private int _otherFaults;

    /// <param name="upstream">The S3 server's base address (http only).</param>
    /// <param name="seed">Seeds the draws: which exchanges fail, how, and where a body is cut.</param>
    /// <param name="faultRate">The share of exchanges drawn for a fault, 0 to 1.</param>
    /// <param name="kinds">The kinds of fault to inject; every kind when null.</param>
    public FaultyS3Proxy(Uri upstream, int seed, double faultRate, IReadOnlyCollection<StoreFault>? kinds = null)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentOutOfRangeException.ThrowIfNegative(faultRate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(faultRate, 1);
        _upstream = upstream;
        _random = new Random(seed);
        kinds ??= Kinds;
        _getTurns = [.. new[] { StoreFault.ResetMidBody, StoreFault.StallMidBody, StoreFault.ServerError, StoreFault.ResetBeforeAnswer }.Where(kinds.Contains)];
        _otherTurns = [.. new[] { StoreFault.ServerError, StoreFault.ResetBeforeAnswer }.Where(kinds.Contains)];
        FaultRate = faultRate;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Endpoint = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _accepting = AcceptAsync();
    }

    /// <summary>The proxy's base address, to use as the S3 endpoint.</summary>
    public string Endpoint { get; }

    /// <summary>The share of exchanges drawn for a fault.</summary>
    public double FaultRate { get; }

    /// <summary>Exchanges relayed or failed so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Faults injected so far, by kind (every kind present).</summary>
    public IReadOnlyDictionary<StoreFault, int> Faults => Kinds.ToDictionary(kind => kind, kind => _faults.GetValueOrDefault(kind));

    /// <summary>Exchanges so far by HTTP method.</summary>
    public IReadOnlyDictionary<string, int> RequestsByMethod => new SortedDictionary<string, int>(_methods, StringComparer.Ordinal);

    /// <summary>Each finished exchange in the order it ended: when it started, how long it took, what it asked and got.</summary>
    public IReadOnlyList<string> Journal => [.. _journal];

    /// <summary>The exchanges under way: when each started, and what it asks.</summary>
    public IReadOnlyList<string> InFlight => [.. _inFlight.Values.Order(StringComparer.Ordinal)];

    public int TotalFaults => _faults.Values.Sum();

    public override string ToString() =>
        $"{Requests} requests ({string.Join(", ", RequestsByMethod.Select(m => $"{m.Key} {m.Value}"))}), {TotalFaults} faults ({string.Join(", ", Faults.Select(f => $"{f.Key} {f.Value}"))})";

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(false);
        await Task.WhenAll(_exchanges.Values).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            int id = Interlocked.Increment(ref _nextExchange);
            _exchanges[id] = Task.Run(async () =>
            {
                try
                {
                    await ExchangeAsync(id, client).ConfigureAwait(false);
                }
                finally
                {
                    _exchanges.TryRemove(id, out _);
                }
            });
        }
    }

    /// <summary>One request and its answer, faithful or failed as drawn.</summary>
    private async Task ExchangeAsync(int id, Socket client)
    {
        using var _ = client;
        var token = _stopping.Token;
        var started = DateTime.UtcNow;
        string outcome = "no request";
        try
        {
            await using var clientStream = new NetworkStream(client, ownsSocket: false);
            var reader = new BufferedReader(clientStream);
            var head = await reader.ReadHeadAsync(token).ConfigureAwait(false);
            if (head is null)
            {
                return;
            }
            _inFlight[id] = $"{started:HH:mm:ss.fff} {head.Target}";
            if (head.Header("Expect") is { } expect && expect.Equals("100-continue", StringComparison.OrdinalIgnoreCase))
            {
                // The client waits for this before its body; the server gets the request without the header.
                await clientStream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), token).ConfigureAwait(false);
            }
            byte[] body = await reader.ReadBodyAsync(head, token).ConfigureAwait(false);
            Interlocked.Increment(ref _requests);
            _methods.AddOrUpdate(head.Method, 1, (_, count) => count + 1);
            var (fault, cut) = Draw(head.Method == "GET");
            outcome = $"{head.Target}: ";

            if (fault == StoreFault.ServerError)
            {
                outcome += fault;
                await clientStream.WriteAsync(ErrorAnswer(head.Method == "HEAD", cut < 0.5), token).ConfigureAwait(false);
                Count(fault.Value);
                return;
            }
            byte[] answer = await ForwardAsync(head, body, token).ConfigureAwait(false);
            int bodyStart = BufferedReader.HeadLength(answer);
            int bodyLength = answer.Length - bodyStart;
            outcome += $"{Encoding.Latin1.GetString(answer, 0, Math.Max(0, answer.AsSpan().IndexOf("\r\n"u8)))}, {bodyLength} body bytes";
            switch (fault)
            {
                case StoreFault.ResetBeforeAnswer:
                // An answer too short to cut is lost whole instead.
                case StoreFault.ResetMidBody or StoreFault.StallMidBody when bodyStart == 0 || bodyLength < 2:
                    outcome += $", {StoreFault.ResetBeforeAnswer}";
                    Count(StoreFault.ResetBeforeAnswer);
                    Reset(client);
                    return;
                case StoreFault.ResetMidBody or StoreFault.StallMidBody:
                    int sent = bodyStart + 1 + (int)(cut * (bodyLength - 1));
                    outcome += $", {fault} after {sent - bodyStart}";
                    await clientStream.WriteAsync(answer.AsMemory(0, sent), token).ConfigureAwait(false);
                    await clientStream.FlushAsync(token).ConfigureAwait(false);
                    Count(fault.Value);
                    if (fault == StoreFault.ResetMidBody)
                    {
                        Reset(client);
                    }
                    else
                    {
                        await WaitForHangUpAsync(clientStream, token).ConfigureAwait(false);
                        outcome += ", client hung up";
                    }
                    return;
                default:
                    await clientStream.WriteAsync(answer, token).ConfigureAwait(false);
                    client.Shutdown(SocketShutdown.Send);
                    return;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client hung up, or the proxy is stopping: nothing to relay any more.
            outcome += $" ({e.GetType().Name}: {e.Message})";
        }
        finally
        {
            _inFlight.TryRemove(id, out string? _);
            _journal.Enqueue($"{started:HH:mm:ss.fff} +{(DateTime.UtcNow - started).TotalSeconds:F1} s {outcome}");
        }
    }

    /// <summary>
    /// Whether the exchange fails, and how: the kinds take turns, so that a short run meets every one. Only a GET's
    /// answer has a body to cut, so GETs take turns over every kind and other requests over the other two (of those
    /// chosen).
    /// </summary>
    private (StoreFault? Fault, double Cut) Draw(bool get)
    {
        lock (_random)
        {
            // Two draws for every exchange, so that one exchange's fate never shifts the next ones'.
            bool fails = _random.NextDouble() < FaultRate;
            double cut = _random.NextDouble();
            var turns = get ? _getTurns : _otherTurns;
            if (!fails || turns.Length == 0)
            {
                return (null, cut);
            }
            return (turns[get ? _getFaults++ % turns.Length : _otherFaults++ % turns.Length], cut);
        }
    }

    private void Count(StoreFault fault) => _faults.AddOrUpdate(fault, 1, (_, count) => count + 1);

    /// <summary>Sends the request to the server on a connection of its own and returns the whole answer.</summary>
    private async Task<byte[]> ForwardAsync(RequestHead head, byte[] body, CancellationToken token)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(token);
        patience.CancelAfter(UpstreamPatience);
        using var upstream = new TcpClient();
        await upstream.ConnectAsync(_upstream.Host, _upstream.Port, patience.Token).ConfigureAwait(false);
        await using var stream = upstream.GetStream();
        await stream.WriteAsync(head.Forwarded(), patience.Token).ConfigureAwait(false);
        await stream.WriteAsync(body, patience.Token).ConfigureAwait(false);
        using var answer = new MemoryStream();
        await stream.CopyToAsync(answer, patience.Token).ConfigureAwait(false);
        return answer.ToArray();
    }

    private static byte[] ErrorAnswer(bool head, bool internalError)
    {
        var (status, code) = internalError ? ("500 Internal Server Error", "InternalError") : ("503 Slow Down", "SlowDown");
        string body = head ? "" : $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>injected by the test proxy</Message><RequestId>0</RequestId></Error>";
        int length = Encoding.UTF8.GetByteCount(body);
        return Encoding.UTF8.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{body}");
    }

    /// <summary>Closes with a TCP reset (no graceful FIN), as a crashed server or a dropped route would.</summary>
    private static void Reset(Socket client)
    {
        client.LingerState = new LingerOption(true, 0);
        client.Close();
    }

    private static async Task WaitForHangUpAsync(NetworkStream client, CancellationToken token)
    {
        var sink = new byte[4096];
        while (await client.ReadAsync(sink, token).ConfigureAwait(false) > 0)
        {
        }
    }

    /// <summary>A request's method and header block as received.</summary>
    private sealed class RequestHead(string method, string[] lines)
    {
        public string Method { get; } = method;

        /// <summary>The method and path, with the query unless it is a presigned URL's (long, and a credential).</summary>
        public string Target => lines[0].Split(' ') is [_, var target, ..]
            ? $"{Method} {(target.Contains("X-Amz-Signature", StringComparison.Ordinal) ? target.Split('?')[0] : target)}"
            : lines[0];

        public string? Header(string name) => lines.Skip(1)
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2 && parts[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            .Select(parts => parts[1].Trim())
            .LastOrDefault();

        /// <summary>The head for the server: one exchange per connection, and no 100-continue (the proxy answered it).</summary>
        public byte[] Forwarded()
        {
            var kept = lines.Where((line, index) => index == 0 || !IsHopHeader(line)).Append("Connection: close");
            return Encoding.Latin1.GetBytes(string.Join("\r\n", kept) + "\r\n\r\n");
        }

        private static bool IsHopHeader(string line)
        {
            string name = line.Split(':', 2)[0].Trim();
            return name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Expect", StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>Reads an HTTP/1.1 request (head, then a body framed by Content-Length or chunked) off a stream.</summary>
    private sealed class BufferedReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        /// <summary>Where the body of a message in <paramref name="message"/> starts; 0 when it has no complete head.</summary>
        public static int HeadLength(byte[] message)
        {
            int index = message.AsSpan().IndexOf("\r\n\r\n"u8);
            return index < 0 ? 0 : index + 4;
        }

        public async Task<RequestHead?> ReadHeadAsync(CancellationToken token)
        {
            var lines = new List<string>();
            while (true)
            {
                string? line = await ReadLineAsync(token).ConfigureAwait(false);
                if (line is null)
                {
                    return lines.Count == 0 ? null : throw new IOException("the client hung up inside a request head");
                }
                if (line.Length == 0)
                {
                    return lines.Count == 0 ? null : new RequestHead(lines[0].Split(' ')[0], [.. lines]);
                }
                lines.Add(line);
            }
        }

        public async Task<byte[]> ReadBodyAsync(RequestHead head, CancellationToken token)
        {
            using var body = new MemoryStream();
            if (head.Header("Transfer-Encoding") is { } encoding && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                // Relayed as sent, chunk framing included: the server decodes it.
                while (true)
                {
                    string size = await ReadLineAsync(token).ConfigureAwait(false) ?? throw new IOException("the client hung up inside a chunked body");
                    WriteLine(body, size);
                    long length = long.Parse(size.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    if (length == 0)
                    {
                        string? trailer;
                        while ((trailer = await ReadLineAsync(token).ConfigureAwait(false)) is { Length: > 0 })
                        {
                            WriteLine(body, trailer);
                        }
                        WriteLine(body, "");
                        return body.ToArray();
                    }
                    await CopyAsync(body, length + 2, token).ConfigureAwait(false);
                }
            }
            long contentLength = head.Header("Content-Length") is { } value ? long.Parse(value, CultureInfo.InvariantCulture) : 0;
            await CopyAsync(body, contentLength, token).ConfigureAwait(false);
            return body.ToArray();
        }

        private static void WriteLine(MemoryStream body, string line) => body.Write(Encoding.Latin1.GetBytes(line + "\r\n"));

        private async Task CopyAsync(MemoryStream target, long count, CancellationToken token)
        {
            while (count > 0)
            {
                if (_start == _end && !await FillAsync(token).ConfigureAwait(false))
                {
                    throw new IOException("the client hung up inside a request body");
                }
                int take = (int)Math.Min(count, _end - _start);
                target.Write(_buffer, _start, take);
                _start += take;
                count -= take;
            }
        }

        private async Task<string?> ReadLineAsync(CancellationToken token)
        {
            var line = new StringBuilder();
            while (true)
            {
                if (_start == _end && !await FillAsync(token).ConfigureAwait(false))
                {
                    return line.Length == 0 ? null : line.ToString();
                }
                int newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
                int stop = newline < 0 ? _end : _start + newline;
                line.Append(Encoding.Latin1.GetString(_buffer, _start, stop - _start));
                if (newline >= 0)
                {
                    _start = stop + 1;
                    return line.ToString().TrimEnd('\r');
                }
                _start = _end;
            }
        }

        private async Task<bool> FillAsync(CancellationToken token)
        {
            _start = 0;
            _end = await stream.ReadAsync(_buffer, token).ConfigureAwait(false);
            return _end > 0;
        }
    }
}
