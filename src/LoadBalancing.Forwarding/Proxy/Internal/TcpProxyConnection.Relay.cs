using System.Buffers;
using System.Net.Sockets;
using LoadBalancing.Connections;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Proxy.Internal;

/// <content>Relaying: one loop per direction, one pooled buffer each, half-close and the table feed.</content>
internal sealed partial class TcpProxyConnection
{
    private async Task RelayAsync(SocketOperation upstream, SocketOperation downstream)
    {
        var backend = _backend!;
        var size = _owner.Options.BufferSize;
        var upBuffer = ArrayPool<byte>.Shared.Rent(size);
        var downBuffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var up = PumpAsync(upstream, _client, backend, upBuffer.AsMemory(0, size), inbound: true);
            var down = PumpAsync(downstream, backend, _client, downBuffer.AsMemory(0, size), inbound: false);
            await up.ConfigureAwait(false);
            await down.ConfigureAwait(false);

            // Both sides finished their halves: a normal close on both sockets.
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                _client.Dispose();
                backend.Dispose();
            }
        }
        finally
        {
            // Only now: both loops have completed their last operation on the buffers.
            ArrayPool<byte>.Shared.Return(upBuffer);
            ArrayPool<byte>.Shared.Return(downBuffer);
        }
    }

    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="target"/> until end of stream, then half-closes
    /// <paramref name="target"/> (Shutdown(Send)) so the peer sees the FIN while the other direction continues.
    /// The next read starts only after the chunk has been sent: a slow reader throttles its writer through TCP.
    /// </summary>
    private async Task PumpAsync(SocketOperation operation, Socket source, Socket target, Memory<byte> buffer, bool inbound)
    {
        while (true)
        {
            var error = await operation.ReceiveAsync(source, buffer).ConfigureAwait(false);
            var received = operation.BytesTransferred;
            if (error != SocketError.Success)
            {
                Fail(error);
                return;
            }

            if (received == 0)
            {
                FeedFin(inbound);
                try
                {
                    target.Shutdown(SocketShutdown.Send);
                }
                catch (SocketException)
                {
                    // The peer already reset; the other loop sees the error.
                }
                catch (ObjectDisposedException)
                {
                }

                return;
            }

            Touch();
            Count(inbound, received);
            error = await SendAllAsync(operation, target, buffer[..received]).ConfigureAwait(false);
            if (error != SocketError.Success)
            {
                Fail(error);
                return;
            }

            Touch();
        }
    }

    private static async ValueTask<SocketError> SendAllAsync(SocketOperation operation, Socket target, Memory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var error = await operation.SendAsync(target, data).ConfigureAwait(false);
            if (error != SocketError.Success)
            {
                return error;
            }

            var sent = operation.BytesTransferred;
            if (sent <= 0)
            {
                return SocketError.ConnectionReset;
            }

            data = data[sent..];
        }

        return SocketError.Success;
    }

    private void Fail(SocketError error)
    {
        if (Volatile.Read(ref _closed) == 0)
        {
            ProxyLog.RelayFailed(_owner.Logger, _key.Client, _key.ClientPort, _service.Key, error);
        }

        Abort();
    }

    private void Touch() => Volatile.Write(ref _lastActivity, _owner.TimeProvider.GetTimestamp());

    /// <summary>
    /// One chunk is one segment for the table: client chunks go through <see cref="ConnectionTable.ProcessInbound"/>
    /// (counting the bytes and refreshing the entry's timer), server chunks through
    /// <see cref="ConnectionTable.ProcessOutbound"/> for NAT entries; other entries have no reply path in IPVS, so
    /// their reply bytes are added to the statistics directly and the client's acknowledgement is fed instead.
    /// </summary>
    private void Count(bool inbound, int length)
    {
        var entry = _entry!;
        if (inbound)
        {
            var segment = _key.Inbound(TcpFlags.Ack, length);
            Table.ProcessInbound(in segment, null);
            return;
        }

        if (entry.Method == ForwardingMethod.Masquerade)
        {
            var segment = _key.Outbound(entry, TcpFlags.Ack, length);
            Table.ProcessOutbound(in segment);
            return;
        }

        // Without a reply path the DR director still sees the client acknowledge the reply data, and those ACKs
        // keep the entry's timer running during a long download; feed one per chunk.
        var ack = _key.Inbound(TcpFlags.Ack, 0);
        Table.ProcessInbound(in ack, null);
        var destination = entry.Destination;
        if (destination.IsAvailable)
        {
            destination.Statistics.AddOutbound(length);
            destination.Service.Statistics.AddOutbound(length);
        }
    }

    /// <summary>A side ended its stream: the client's FIN is fed as INPUT; the server's only for NAT entries (OUTPUT).</summary>
    private void FeedFin(bool inbound)
    {
        var entry = _entry!;
        if (inbound)
        {
            var fin = _key.Inbound(TcpFlags.Fin | TcpFlags.Ack, 0);
            Table.ProcessInbound(in fin, null);
        }
        else if (entry.Method == ForwardingMethod.Masquerade)
        {
            var fin = _key.Outbound(entry, TcpFlags.Fin | TcpFlags.Ack, 0);
            Table.ProcessOutbound(in fin);
        }
    }
}
