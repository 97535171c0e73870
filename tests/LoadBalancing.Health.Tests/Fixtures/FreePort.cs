using System.Net;
using System.Net.Sockets;

namespace LoadBalancing.Health.Tests.Fixtures;

internal static class FreePort
{
    /// <summary>A loopback TCP port nobody listens on (bound and released at once).</summary>
    public static int Tcp()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A loopback UDP port nobody listens on.</summary>
    public static int Udp()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public static ProbeTarget Loopback(int port) => new(Model.NetworkAddress.Parse("127.0.0.1"), (ushort)port);
}
