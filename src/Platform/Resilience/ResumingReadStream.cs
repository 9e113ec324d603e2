namespace SemanticMIM.Platform.Resilience;

/// <summary>
/// The body of an object read from a remote store, made to survive a connection that breaks or stalls mid-way: a read
/// that fails transiently (<see cref="ObjectStoreFaults.IsTransient"/>), or that waits longer than the idle timeout
/// for its next bytes, drops the response and asks for the rest from where it stopped (<c>reopen</c>, a ranged read
/// through the store's retry pipeline), at most <c>maxResumes</c> times. Forward only.
/// </summary>
internal sealed class ResumingReadStream(Stream first, Func<long, CancellationToken, Task<Stream>> reopen, TimeSpan idleTimeout, int maxResumes)
    : Stream
{
    private Stream _current = first;
    private long _position;
    private int _resumes;

    /// <summary>How often the body was asked for again.</summary>
    public int Resumes => _resumes;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(idleTimeout);
            try
            {
                int read = await _current.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
                _position += read;
                return read;
            }
            catch (Exception error) when (_resumes < maxResumes && ObjectStoreFaults.IsTransient(error, cancellationToken))
            {
                _resumes++;
                await _current.DisposeAsync().ConfigureAwait(false);
                _current = Stream.Null;
                _current = await reopen(_position, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Readers that read synchronously (tar and image decoders) get the same resuming read.
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _current.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _current.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
