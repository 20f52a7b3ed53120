using Amazon.S3;
using Amazon.S3.Model;

namespace Vidgate.Server.Storage;

/// <summary>
/// One S3 object as a read-only, seekable stream, opened lazily at the first read. Read from the start, it is one
/// plain GET of the whole object, so a download in progress keeps its bytes even if the object is deleted or replaced
/// meanwhile (S3 serves a GET as of its start). After a seek elsewhere (ASP.NET's <c>Range</c> handling seeks to the
/// first byte wanted), bytes come from ranged GETs of at most <c>window</c> bytes, each pinned to the ETag seen at open,
/// so a range fetches only about the range from the bucket, and a replaced object fails the read instead of mixing two
/// versions. Nothing is buffered beyond the socket.
/// </summary>
/// <remarks>
/// Hand-built because the SDK's response stream cannot seek: streaming through it would make every <c>Range</c>
/// request download the object from its start.
/// </remarks>
internal sealed class S3ObjectStream(IAmazonS3 s3, string bucket, string key, long length, string? etag, long window) : Stream
{
    private GetObjectResponse? _response;
    private long _position;
    private long _windowStart;
    private long _windowEnd;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0 || _position >= length)
        {
            return 0;
        }

        if (_response is null || _position != _windowStart || _position >= _windowEnd)
        {
            await OpenAsync(cancellationToken);
        }

        var read = await _response!.ResponseStream.ReadAsync(buffer, cancellationToken);
        if (read == 0)
        {
            throw new IOException($"The S3 object '{key}' ended at byte {_position} of {length}.");
        }

        _position += read;
        _windowStart += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Kestrel never reads synchronously; a sync caller (a tool, a test) still gets correct bytes.
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
        _position = target;
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _response?.Dispose();
            _response = null;
        }

        base.Dispose(disposing);
    }

    private async Task OpenAsync(CancellationToken ct)
    {
        _response?.Dispose();
        _response = null;
        var request = new GetObjectRequest { BucketName = bucket, Key = key };
        var end = length - 1;
        if (_position > 0)
        {
            end = Math.Min(length, _position + window) - 1;
            request.ByteRange = new ByteRange(_position, end);
            if (!string.IsNullOrEmpty(etag))
            {
                request.EtagToMatch = etag;
            }
        }

        _response = await s3.GetObjectAsync(request, ct);
        _windowStart = _position;
        _windowEnd = end + 1;
    }
}
