using System.Net;
using System.Net.Sockets;
using LoadBalancing.Health.Probes;
using LoadBalancing.Health.Tests.Fixtures;

namespace LoadBalancing.Health.Tests.Probes;

public sealed class TcpProbeTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task ProbeAsync_Listening_Up()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var result = await HealthProbes.Tcp().ProbeAsync(FreePort.Loopback(((IPEndPoint)listener.LocalEndpoint).Port), Ct);
        Assert.True(result.IsUp);
    }

    [Fact]
    public async Task ProbeAsync_ConnectPortOverride_UsesIt()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = (ushort)((IPEndPoint)listener.LocalEndpoint).Port;
        var result = await HealthProbes.Tcp(new TcpProbeOptions { Port = port }).ProbeAsync(FreePort.Loopback(FreePort.Tcp()), Ct);
        Assert.True(result.IsUp);
    }

    [Fact]
    public async Task ProbeAsync_Refused_DownWithReason()
    {
        var result = await HealthProbes.Tcp().ProbeAsync(FreePort.Loopback(FreePort.Tcp()), Ct);
        Assert.False(result.IsUp);
        Assert.Contains("ConnectionRefused", result.Reason);
    }

    [Theory]
    [InlineData(true, SocketError.ConnectionReset)]
    [InlineData(false, SocketError.Success)]
    public async Task ProbeAsync_AbortiveClose_ServerSeesResetElseFin(bool abortive, SocketError expected)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var result = await HealthProbes.Tcp(new TcpProbeOptions { AbortiveClose = abortive }).ProbeAsync(FreePort.Loopback(port), Ct);
        Assert.True(result.IsUp);

        // The server reads what the probe's close left: a reset (SO_LINGER 0), or end of stream after a FIN.
        using var accepted = await listener.AcceptSocketAsync(Ct);
        var error = SocketError.Success;
        int read;
        try
        {
            read = await accepted.ReceiveAsync(new byte[1], SocketFlags.None, Ct);
        }
        catch (SocketException ex)
        {
            error = ex.SocketErrorCode;
            read = -1;
        }

        Assert.Equal(expected, error);
        Assert.Equal(abortive ? -1 : 0, read);
    }
}
