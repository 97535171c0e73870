using System.Net;
using System.Net.Sockets;
using LoadBalancing.Health.Probes;
using LoadBalancing.Health.Tests.Fixtures;

namespace LoadBalancing.Health.Tests.Probes;

public sealed class UdpProbeTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task ProbeAsync_EchoServerWithRequiredReply_Up()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var echo = EchoOnceAsync(server);
        var options = new UdpProbeOptions { Payload = "ping"u8.ToArray(), RequireReply = true, ExpectedReplyPrefix = "pi"u8.ToArray(), Timeout = TimeSpan.FromSeconds(5) };
        var result = await HealthProbes.Udp(options).ProbeAsync(FreePort.Loopback(((IPEndPoint)server.LocalEndPoint!).Port), Ct);
        Assert.True(result.IsUp, result.ToString());
        Assert.Equal("ping", await echo);
    }

    [Fact]
    public async Task ProbeAsync_ClosedPort_DownOnIcmpRefused()
    {
        var options = new UdpProbeOptions { Payload = "ping"u8.ToArray(), Timeout = TimeSpan.FromSeconds(5) };
        var result = await HealthProbes.Udp(options).ProbeAsync(FreePort.Loopback(FreePort.Udp()), Ct);
        Assert.False(result.IsUp);
        Assert.Contains("ConnectionRefused", result.Reason);
    }

    [Fact]
    public async Task ProbeAsync_SilentServer_UpWithoutRequiredReplyDownWithIt()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var target = FreePort.Loopback(((IPEndPoint)server.LocalEndPoint!).Port);
        var quiet = await HealthProbes.Udp(new UdpProbeOptions { Timeout = TimeSpan.FromMilliseconds(100) }).ProbeAsync(target, Ct);
        var strict = await HealthProbes.Udp(new UdpProbeOptions { RequireReply = true, Timeout = TimeSpan.FromMilliseconds(100) }).ProbeAsync(target, Ct);
        Assert.True(quiet.IsUp);
        Assert.False(strict.IsUp);
    }

    private static async Task<string> EchoOnceAsync(Socket server)
    {
        var buffer = new byte[1500];
        var from = await server.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), Ct);
        await server.SendToAsync(buffer.AsMemory(0, from.ReceivedBytes), from.RemoteEndPoint, Ct);
        return System.Text.Encoding.ASCII.GetString(buffer, 0, from.ReceivedBytes);
    }
}
