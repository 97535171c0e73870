using System.Buffers.Binary;
using System.Net.Sockets;

namespace LoadBalancing.Health.Nfs;

/// <summary>
/// RPC over TCP record marking (RFC 5531 §11): each fragment is preceded by a 32-bit header whose top bit
/// marks the last fragment of a record and whose low 31 bits give the fragment length.
/// </summary>
internal static class RpcRecordStream
{
    private const uint LastFragment = 0x8000_0000;

    public static async ValueTask SendRecordAsync(Socket socket, ReadOnlyMemory<byte> record, CancellationToken cancellationToken)
    {
        var framed = new byte[4 + record.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed, LastFragment | (uint)record.Length);
        record.CopyTo(framed.AsMemory(4));
        var sent = 0;
        while (sent < framed.Length)
        {
            sent += await socket.SendAsync(framed.AsMemory(sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads one record; a null record with an error when the stream ends early or the record exceeds <paramref name="maxLength"/>.</summary>
    public static async ValueTask<(byte[]? Record, string? Error)> ReceiveRecordAsync(Socket socket, int maxLength, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        using var record = new MemoryStream();
        while (true)
        {
            if (!await ReceiveExactlyAsync(socket, header, cancellationToken).ConfigureAwait(false))
            {
                return (null, "connection closed before the RPC reply");
            }

            var marker = BinaryPrimitives.ReadUInt32BigEndian(header);
            var length = (int)(marker & ~LastFragment);
            if (length > maxLength - record.Length)
            {
                return (null, $"RPC reply longer than {maxLength} bytes");
            }

            var fragment = new byte[length];
            if (!await ReceiveExactlyAsync(socket, fragment, cancellationToken).ConfigureAwait(false))
            {
                return (null, "connection closed inside an RPC fragment");
            }

            record.Write(fragment);
            if ((marker & LastFragment) != 0)
            {
                return (record.ToArray(), null);
            }
        }
    }

    private static async ValueTask<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
