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

    // On Linux a reset-closed probe socket is disconnected and reused: a refused attempt in between must leave nothing
    // behind, and every later connection must still be a complete one the server sees reset.
    [Fact]
    public async Task ProbeAsync_ManyProbesUpRefusedUp_EachResultIsRight()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var up = FreePort.Loopback(((IPEndPoint)listener.LocalEndpoint).Port);
        var refused = FreePort.Loopback(FreePort.Tcp());
        var probe = HealthProbes.Tcp();
        for (var i = 0; i < 20; i++)
        {
            Assert.True((await probe.ProbeAsync(up, Ct)).IsUp);
            var down = await probe.ProbeAsync(refused, Ct);
            Assert.False(down.IsUp);
            Assert.Contains("ConnectionRefused", down.Reason);
        }

        for (var i = 0; i < 20; i++)
        {
            using var accepted = await listener.AcceptSocketAsync(Ct);
            var error = await Assert.ThrowsAsync<SocketException>(async () => await accepted.ReceiveAsync(new byte[1], SocketFlags.None, Ct));
            Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        }
    }

    // A full accept queue makes the kernel drop the probe's SYN, so the handshake is not over when connect() returns:
    // the probe takes its asynchronous path. Once the queue has room, the SYN retransmitted after about a second
    // gets through and the probe reports up.
    [Fact]
    public async Task ProbeAsync_HandshakeNotOverAtOnce_WaitsAndReportsUp()
    {
        using var full = await FullListener.CreateAsync();
        var probe = HealthProbes.Tcp(new TcpProbeOptions { ConnectTimeout = TimeSpan.FromSeconds(10) }).ProbeAsync(FreePort.Loopback(full.Port), Ct).AsTask();
        await Task.Delay(300, Ct);
        Assert.False(probe.IsCompleted, "the SYN should have been dropped while the accept queue was full");
        await full.DrainAsync();

        var result = await probe.WaitAsync(TimeSpan.FromSeconds(8), Ct);
        Assert.True(result.IsUp, result.Reason);
    }

    [Fact]
    public async Task ProbeAsync_HandshakeNeverCompletes_DownWithTimeout()
    {
        using var full = await FullListener.CreateAsync();
        var result = await HealthProbes.Tcp(new TcpProbeOptions { ConnectTimeout = TimeSpan.FromMilliseconds(400) }).ProbeAsync(FreePort.Loopback(full.Port), Ct);
        Assert.False(result.IsUp);
        Assert.Contains("timeout after 400 ms", result.Reason);
    }

    /// <summary>A loopback listener (backlog 0) whose accept queue is full: connects until one no longer completes at once.</summary>
    private sealed class FullListener : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly List<Socket> _fillers = [];

        private FullListener()
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(0);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

        public static async Task<FullListener> CreateAsync()
        {
            var full = new FullListener();
            for (var i = 0; i < 8; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                var connect = socket.ConnectAsync(IPAddress.Loopback, full.Port, Ct).AsTask();
                if (await Task.WhenAny(connect, Task.Delay(200, Ct)) != connect)
                {
                    socket.Dispose();
                    return full;
                }

                full._fillers.Add(socket);
            }

            full.Dispose();
            throw new InvalidOperationException("the accept queue never filled");
        }

        /// <summary>Accepts the queued connections, so the queue has room again.</summary>
        public async Task DrainAsync()
        {
            foreach (var _ in _fillers)
            {
                (await _listener.AcceptAsync(Ct)).Dispose();
            }
        }

        public void Dispose()
        {
            _fillers.ForEach(f => f.Dispose());
            _listener.Dispose();
        }
    }
}
