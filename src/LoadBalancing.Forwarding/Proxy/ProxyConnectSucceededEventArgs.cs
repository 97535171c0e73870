using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Forwarding.Proxy;

/// <summary>
/// The proxy reached a real server: its TCP connect completed, or a UDP session received the server's first reply.
/// Passive health checking consumes this to reset a server's consecutive-failure count.
/// </summary>
public sealed class ProxyConnectSucceededEventArgs : EventArgs
{
    /// <summary>Initializes the event data.</summary>
    /// <param name="service">The virtual service the client connected to.</param>
    /// <param name="destination">The real server that was reached.</param>
    /// <param name="protocol">TCP or UDP.</param>
    public ProxyConnectSucceededEventArgs(VirtualServiceKey service, RealServerState destination, ServiceProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Service = service;
        Destination = destination;
        Protocol = protocol;
    }

    /// <summary>Gets the virtual service the client connected to.</summary>
    public VirtualServiceKey Service { get; }

    /// <summary>Gets the real server that was reached.</summary>
    public RealServerState Destination { get; }

    /// <summary>Gets the protocol.</summary>
    public ServiceProtocol Protocol { get; }
}
