using System.Buffers;
using System.Net;
using System.Net.Sockets;
using LoadBalancing.Connections;
using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Forwarding.Proxy.Internal;

/// <summary>One UDP client of a service: a socket connected to its real server, and the loop relaying the server's replies.</summary>
internal sealed class UdpProxySession : ITimedFlow
{
    private readonly UdpProxyListener _listener;
    private readonly SocketAddress _client;
    private readonly Connection? _entry;
    private Socket? _socket;
    private long _lastActivity;
    private int _closed;
    private bool _answered;

    public UdpProxySession(UdpProxyListener listener, ProxyFlowKey key, SocketAddress client, RealServerState destination, ushort destinationPort, Connection? entry)
    {
        _listener = listener;
        Key = key;
        Destination = destination;
        DestinationPort = destinationPort;
        _entry = entry;

        // The listener reuses its SocketAddress for every datagram; keep a copy for the replies.
        _client = new SocketAddress(client.Family, client.Size);
        client.Buffer.Span[..client.Size].CopyTo(_client.Buffer.Span);
    }

    public ProxyFlowKey Key { get; }

    public RealServerState Destination { get; }

    public ushort DestinationPort { get; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    private ProxyForwarder Owner => _listener.Owner;

    public bool Open(out SocketError error)
    {
        var socket = new Socket(Destination.Address.Family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // A connected UDP socket only accepts datagrams from the server, and reports its ICMP errors.
            socket.Connect(new IPEndPoint(Destination.Address.ToIPAddress(), DestinationPort));
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            error = ex.SocketErrorCode;
            return false;
        }

        _socket = socket;
        Touch();
        error = SocketError.Success;
        return true;
    }

    public void Start()
    {
        Owner.Track(this);
        _ = ReplyLoopAsync(_socket!);
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram)
    {
        Touch();
        try
        {
            await _socket!.SendAsync(datagram, SocketFlags.None).ConfigureAwait(false);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            // Linux reports an earlier ICMP port unreachable on the next send.
            Owner.ReportConnectFailure(_listener.Key, Destination, ServiceProtocol.Udp, ex.SocketErrorCode, 1);
        }
        catch (SocketException ex)
        {
            Owner.Statistics.CountUdpSendError();
            ProxyLog.UdpSendFailed(Owner.Logger, Destination, ex.SocketErrorCode);
        }
        catch (ObjectDisposedException)
        {
            // Closed by the sweeper meanwhile; the next datagram opens a new session.
        }
    }

    public void CheckTimeouts(long now)
    {
        if (now - Volatile.Read(ref _lastActivity) > Owner.UdpTimeoutTicks)
        {
            Abort();
        }
    }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _socket?.Dispose();
        }
    }

    private void Touch() => Volatile.Write(ref _lastActivity, Owner.TimeProvider.GetTimestamp());

    private async Task ReplyLoopAsync(Socket socket)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(UdpProxyListener.DatagramBufferSize);
        try
        {
            while (!IsClosed)
            {
                int received;
                try
                {
                    received = await socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused && !IsClosed)
                {
                    Owner.ReportConnectFailure(_listener.Key, Destination, ServiceProtocol.Udp, ex.SocketErrorCode, 1);
                    continue;
                }

                Touch();
                Count(received);
                if (!_answered)
                {
                    // Only the reply loop reads and writes the flag.
                    _answered = true;
                    Owner.ReportConnectSuccess(_listener.Key, Destination, ServiceProtocol.Udp);
                }

                await _listener.Socket.SendToAsync(buffer.AsMemory(0, received), SocketFlags.None, _client).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Closed (idle, replaced, listener stopped) or the listener's socket is gone.
        }
#pragma warning disable CA1031 // Detached loop: log rather than lose the exception.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ProxyLog.Unexpected(Owner.Logger, _listener.Key, ex);
        }
        finally
        {
            Abort();
            ArrayPool<byte>.Shared.Return(buffer);
            _listener.Remove(this);
            Owner.Untrack(this);
        }
    }

    /// <summary>Replies of NAT entries go through the table (counting, assuring the template); others are counted directly.</summary>
    private void Count(int length)
    {
        if (_entry is not null && _entry.Method == ForwardingMethod.Masquerade)
        {
            var reply = Key.Outbound(_entry, TcpFlags.None, length);
            Owner.Connections.ProcessOutbound(in reply);
            return;
        }

        if (Destination.IsAvailable)
        {
            Destination.Statistics.AddOutbound(length);
            Destination.Service.Statistics.AddOutbound(length);
        }
    }
}
