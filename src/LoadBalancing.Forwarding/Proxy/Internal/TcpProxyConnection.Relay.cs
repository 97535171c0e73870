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
            var sending = SendAllAsync(operation, target, buffer[..received]);
            var waited = !sending.IsCompleted;
            error = await sending.ConfigureAwait(false);
            if (error != SocketError.Success)
            {
                Fail(error);
                return;
            }

            if (waited)
            {
                Touch(); // a send that waited for the peer to read: active all along, not idle
            }
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

    private void Count(bool inbound, int length) => TcpTableFeed.Data(Table, in _key, _entry!, inbound, length);

    private void FeedFin(bool inbound) => TcpTableFeed.Fin(Table, in _key, _entry!, inbound);
}
