namespace Lanyard.Server.Features.Users.Import;

/// <summary>
/// A read-only view of an import's input that counts the bytes read (for progress) and bounds how much may
/// be read without a row ending. Neither reader buffers the whole input, but a CSV field whose quote never
/// closes would make the parser buffer the rest of it; past <see cref="MaxBytesPerRow"/> the import stops instead.
/// </summary>
internal sealed class ImportInputStream(Stream inner) : Stream
{
    /// <summary>1 MiB: a user row is a few hundred bytes, and a parser reads ahead at most a buffer's worth.</summary>
    public const int MaxBytesPerRow = 1 << 20;

    private long _atLastRow;

    public long BytesRead { get; private set; }

    /// <summary>A reader calls this when it has read a whole row.</summary>
    public void RowEnded() => _atLastRow = BytesRead;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Counted(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Counted(int read)
    {
        BytesRead += read;
        if (BytesRead - _atLastRow > 2L * MaxBytesPerRow)
        {
            throw new ImportInputException($"a row is longer than {MaxBytesPerRow / 1024} KiB (an unclosed quote?); the import stopped there");
        }

        return read;
    }
}
