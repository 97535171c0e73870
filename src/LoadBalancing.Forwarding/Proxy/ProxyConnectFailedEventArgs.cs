using System.Net.Sockets;
using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Forwarding.Proxy;

/// <summary>
/// A connect from the proxy to a real server failed (refused, unreachable, timed out), or a UDP real server
/// answered with ICMP port unreachable. Passive health checking consumes this to eject the server.
/// </summary>
public sealed class ProxyConnectFailedEventArgs : EventArgs
{
    /// <summary>Initializes the event data.</summary>
    /// <param name="service">The virtual service the client connected to.</param>
    /// <param name="destination">The real server that failed.</param>
    /// <param name="protocol">TCP or UDP.</param>
    /// <param name="error">The socket error; <see cref="SocketError.TimedOut"/> when the connect timeout ran out.</param>
    /// <param name="attempt">The attempt for this client connection, 1 for the first pick.</param>
    public ProxyConnectFailedEventArgs(VirtualServiceKey service, RealServerState destination, ServiceProtocol protocol, SocketError error, int attempt)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Service = service;
        Destination = destination;
        Protocol = protocol;
        Error = error;
        Attempt = attempt;
    }

    /// <summary>Gets the virtual service the client connected to.</summary>
    public VirtualServiceKey Service { get; }

    /// <summary>Gets the real server that failed.</summary>
    public RealServerState Destination { get; }

    /// <summary>Gets the protocol.</summary>
    public ServiceProtocol Protocol { get; }

    /// <summary>Gets the socket error; <see cref="SocketError.TimedOut"/> when the proxy's connect timeout ran out.</summary>
    public SocketError Error { get; }

    /// <summary>Gets the attempt for this client connection (1 for the first pick).</summary>
    public int Attempt { get; }
}
