namespace SemanticMIM.Platform.Storage;

/// <summary>
/// A forward-only view of at most <c>limit</c> bytes of another stream, after skipping <c>skip</c> bytes of it
/// (lazily, on the first read). Disposing it disposes the inner stream and an optional owner (an HTTP response).
/// </summary>
internal sealed class RangeReadStream : Stream
{
    private readonly Stream _inner;
    private readonly IDisposable? _owner;
    private long _toSkip;
    private long _remaining;
    private long _position;
    private bool _disposed;

    public RangeReadStream(Stream inner, long skip, long limit, IDisposable? owner = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        _inner = inner;
        _toSkip = skip;
        _remaining = limit;
        _owner = owner;
    }

    public override bool CanRead => !_disposed;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_toSkip > 0)
        {
            var scratch = new byte[(int)Math.Min(_toSkip, 81920)];
            while (_toSkip > 0)
            {
                int skipped = _inner.Read(scratch, 0, (int)Math.Min(scratch.Length, _toSkip));
                if (skipped == 0)
                {
                    _remaining = 0;
                    _toSkip = 0;
                    break;
                }
                _toSkip -= skipped;
            }
        }
        if (_remaining == 0 || buffer.IsEmpty)
        {
            return 0;
        }
        int read = _inner.Read(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
        Advance(read);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_toSkip > 0)
        {
            var scratch = new byte[(int)Math.Min(_toSkip, 81920)];
            while (_toSkip > 0)
            {
                int skipped = await _inner.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, _toSkip)), cancellationToken).ConfigureAwait(false);
                if (skipped == 0)
                {
                    _remaining = 0;
                    _toSkip = 0;
                    break;
                }
                _toSkip -= skipped;
            }
        }
        if (_remaining == 0 || buffer.IsEmpty)
        {
            return 0;
        }
        int read = await _inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken).ConfigureAwait(false);
        Advance(read);
        return read;
    }

    private void Advance(int read)
    {
        _position += read;
        _remaining = read == 0 ? 0 : _remaining - read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _inner.Dispose();
            _owner?.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            await _inner.DisposeAsync().ConfigureAwait(false);
            _owner?.Dispose();
        }
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
