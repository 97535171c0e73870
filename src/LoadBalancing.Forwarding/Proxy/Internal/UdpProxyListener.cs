using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using LoadBalancing.Connections;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Proxy.Internal;

/// <summary>
/// The UDP socket of one virtual service. Each client endpoint gets a session: a socket connected to the real
/// server the table chose; the server's replies go back to the client from this socket, so they come from the
/// virtual address.
/// </summary>
internal sealed class UdpProxyListener : IProxyListener
{
    /// <summary>The largest UDP payload (65 535 − 8-byte UDP header − 20-byte IPv4 header), rounded up.</summary>
    internal const int DatagramBufferSize = 65536;

    private readonly ProxyForwarder _owner;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<(NetworkAddress Address, ushort Port), UdpProxySession> _sessions = new();
    private Socket? _socket;

    public UdpProxyListener(ProxyForwarder owner, VirtualServiceKey key)
    {
        _owner = owner;
        Key = key;
    }

    public VirtualServiceKey Key { get; }

    internal ProxyForwarder Owner => _owner;

    internal Socket Socket => _socket!;

    public SocketError Start()
    {
        var socket = new Socket(Key.Family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(Key.Address.ToIPAddress(), Key.Port));
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            return ex.SocketErrorCode;
        }

        _socket = socket;
        _ = ReceiveLoopAsync(socket);
        return SocketError.Success;
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _socket?.Dispose();
        foreach (var session in _sessions.Values)
        {
            session.Abort();
        }
    }

    internal void Remove(UdpProxySession session)
        => _sessions.TryRemove(KeyValuePair.Create((session.Key.Client, session.Key.ClientPort), session));

    /// <summary>Reads the client's address and port from a raw <c>sockaddr_in</c>/<c>sockaddr_in6</c> (port at offset 2, address at 4 or 8).</summary>
    private static (NetworkAddress Address, ushort Port) ReadEndpoint(SocketAddress address)
    {
        var bytes = address.Buffer.Span;
        var port = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        var ip = address.Family == AddressFamily.InterNetworkV6 ? NetworkAddress.FromBytes(bytes.Slice(8, 16)) : NetworkAddress.FromBytes(bytes.Slice(4, 4));
        return (ip, port);
    }

    private async Task ReceiveLoopAsync(Socket socket)
    {
        var token = _stopping.Token;
        var buffer = ArrayPool<byte>.Shared.Rent(DatagramBufferSize);
        var from = new SocketAddress(Key.Family);
        try
        {
            while (!token.IsCancellationRequested)
            {
                int received;
                try
                {
                    received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from, token).ConfigureAwait(false);
                }
                catch (SocketException ex) when (!token.IsCancellationRequested)
                {
                    // Windows reports an earlier ICMP port unreachable on the next receive; nothing to do for it here.
                    if (ex.SocketErrorCode is not (SocketError.ConnectionReset or SocketError.MessageSize))
                    {
                        ProxyLog.UdpReceiveFailed(_owner.Logger, Key, ex.SocketErrorCode);
                    }

                    continue;
                }

                await HandleAsync(from, buffer.AsMemory(0, received)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped.
        }
#pragma warning disable CA1031 // Detached loop: log rather than lose the exception.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ProxyLog.Unexpected(_owner.Logger, Key, ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// One datagram = one packet for the table (counted, UDP timer refreshed). The session is reused while the
    /// table keeps the client on the same server and port; a different answer (entry expired and rescheduled,
    /// one-packet scheduling) replaces it.
    /// </summary>
    private async ValueTask HandleAsync(SocketAddress from, ReadOnlyMemory<byte> datagram)
    {
        var (client, clientPort) = ReadEndpoint(from);
        if (!_owner.Services.TryGetService(Key, out var service))
        {
            return;
        }

        var key = new ProxyFlowKey(ServiceProtocol.Udp, client, clientPort, Key.Address, Key.Port);
        var packet = key.Inbound(TcpFlags.None, datagram.Length);
        var decision = _owner.Connections.ProcessInbound(in packet, service);
        if (decision.Verdict != ConnectionVerdict.Forward || decision.Destination is not { } destination)
        {
            _owner.Statistics.CountNoDestination(ServiceProtocol.Udp);
            ProxyLog.UdpDropped(_owner.Logger, client, clientPort, Key, decision.Verdict);
            return;
        }

        if (!_sessions.TryGetValue((client, clientPort), out var session)
            || session.IsClosed
            || session.Destination != destination
            || session.DestinationPort != decision.DestinationPort)
        {
            session?.Abort();
            session = new UdpProxySession(this, key, from, destination, decision.DestinationPort, decision.Connection);
            if (!session.Open(out var error))
            {
                _owner.ReportConnectFailure(Key, destination, ServiceProtocol.Udp, error, 1);
                return;
            }

            _sessions[(client, clientPort)] = session;
            _owner.Statistics.CountUdpSession();
            ProxyLog.UdpSessionCreated(_owner.Logger, client, clientPort, destination, Key);
            session.Start();
        }

        await session.SendAsync(datagram).ConfigureAwait(false);
    }
}
