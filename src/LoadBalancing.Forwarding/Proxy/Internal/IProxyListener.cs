using System.Net.Sockets;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Proxy.Internal;

/// <summary>
/// The socket of one virtual service: a TCP listener or a UDP socket. Disposing closes the socket: TCP connections
/// already accepted continue; UDP sessions end (their replies leave through this socket).
/// </summary>
internal interface IProxyListener : IDisposable
{
    /// <summary>Gets the service served.</summary>
    VirtualServiceKey Key { get; }

    /// <summary>Binds and starts serving.</summary>
    /// <returns><see cref="SocketError.Success"/>, or why the socket could not be bound.</returns>
    SocketError Start();

}
