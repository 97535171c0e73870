using System.Net.Sockets;
using LoadBalancing.Forwarding.Proxy;
using LoadBalancing.Forwarding.Tests.Proxy.Fakes;
using LoadBalancing.Model;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Forwarding.Tests.Proxy;

/// <summary>End-to-end TCP scheduling through the proxy with real loopback sockets.</summary>
public sealed class ProxyForwarderTcpTests
{
    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Start_ThreeBackendsRoundRobin_EveryBackendServesTwice(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        await using var b = new TestBackend("B", "127.0.0.3");
        await using var c = new TestBackend("C", "127.0.0.4");
        await using var harness = new ProxyHarness(engine);
        var port = ProxyHarness.FreePort();
        harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin,
            ProxyHarness.Server(a.EndPoint), ProxyHarness.Server(b.EndPoint), ProxyHarness.Server(c.EndPoint)));

        var names = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            using var client = await TestClient.ConnectAsync(port, ct);
            names.Add((await client.RequestAsync("hello", ct)).Split(' ')[0]);
            await client.FinishAsync(ct);
        }

        Assert.Equal(2, names.Count(n => n == "A"));
        Assert.Equal(2, names.Count(n => n == "B"));
        Assert.Equal(2, names.Count(n => n == "C"));
        Assert.All(names.Chunk(3), cycle => Assert.Equal(3, cycle.Distinct().Count()));
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Start_WeightedRoundRobin3To1_FollowsTheKernelCycle(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        await using var b = new TestBackend("B", "127.0.0.3");
        await using var harness = new ProxyHarness(engine);
        var port = ProxyHarness.FreePort();
        harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.WeightedRoundRobin,
            ProxyHarness.Server(a.EndPoint, weight: 3), ProxyHarness.Server(b.EndPoint, weight: 1)));

        var names = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            using var client = await TestClient.ConnectAsync(port, ct);
            names.Add((await client.RequestAsync("x", ct)).Split(' ')[0]);
            await client.FinishAsync(ct);
        }

        // The kernel builds the service as -A then -a A -w 3, -a B -w 1: adding A runs ip_vs_wrr_dest_changed with
        // gcd 3, mw = 3 - (3 - 1) = 1 and cw 0 → mw = 1; adding B gives gcd 1, mw 3, and keeps cw = 1. The list is
        // [B, A] (newest first), so: cw 1 → B, A; cw 3 → A; cw 2 → A; cw 1 → B, A; … One pick per connection.
        Assert.Equal(["B", "A", "A", "A", "B", "A", "A", "A"], names);
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task SetWeight_ZeroWhileConnectionOpen_NoNewConnectionsButOpenOneContinues(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        await using var b = new TestBackend("B", "127.0.0.3");
        await using var harness = new ProxyHarness(engine);
        var port = ProxyHarness.FreePort();
        var service = harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin,
            ProxyHarness.Server(a.EndPoint), ProxyHarness.Server(b.EndPoint)));

        using var open = await TestClient.ConnectAsync(port, ct);
        var first = (await open.RequestAsync("one", ct)).Split(' ')[0];
        var drained = service.Destinations.Single(d => d.Port == (first == "A" ? a : b).EndPoint.Port);
        harness.Services.SetWeight(drained, 0);

        for (var i = 0; i < 4; i++)
        {
            using var client = await TestClient.ConnectAsync(port, ct);
            Assert.NotEqual(first, (await client.RequestAsync("new", ct)).Split(' ')[0]);
            await client.FinishAsync(ct);
        }

        Assert.Equal($"{first} two", await open.RequestAsync("two", ct));
        Assert.Equal(1, drained.ActiveConnections);
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Apply_ServiceRemoved_StopsAcceptingWhileOpenConnectionFinishes(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        await using var harness = new ProxyHarness(engine);
        var port = ProxyHarness.FreePort();
        harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(a.EndPoint)));
        using var open = await TestClient.ConnectAsync(port, ct);
        Assert.Equal("A before", await open.RequestAsync("before", ct));

        harness.Apply();

        Assert.Empty(harness.Forwarder.ListeningServices);
        var refused = await Assert.ThrowsAsync<SocketException>(() => TestClient.ConnectAsync(port, ct));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.Equal("A after", await open.RequestAsync("after", ct));
        Assert.Equal(["A bye 13"], await open.FinishAsync(ct));
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Apply_ServiceAddedLater_StartsListening(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        await using var harness = new ProxyHarness(engine);
        harness.Forwarder.Start();
        var port = ProxyHarness.FreePort();

        harness.Apply(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(a.EndPoint)));

        using var client = await TestClient.ConnectAsync(port, ct);
        Assert.Equal("A hi", await client.RequestAsync("hi", ct));
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Start_PersistentService_ClientSticksToOneServer(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        await using var b = new TestBackend("B", "127.0.0.3");
        await using var c = new TestBackend("C", "127.0.0.4");
        await using var harness = new ProxyHarness(engine);
        var port = ProxyHarness.FreePort();
        var config = ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin,
            ProxyHarness.Server(a.EndPoint), ProxyHarness.Server(b.EndPoint), ProxyHarness.Server(c.EndPoint)) with
        {
            PersistenceTimeout = TimeSpan.FromSeconds(300),
        };
        var service = harness.Start(config);

        var names = new HashSet<string>();
        for (var i = 0; i < 5; i++)
        {
            using var client = await TestClient.ConnectAsync(port, ct);
            names.Add((await client.RequestAsync("again", ct)).Split(' ')[0]);
            await client.FinishAsync(ct);
        }

        Assert.Single(names);
        var template = Assert.Single(harness.Connections.GetEntries(), e => e.IsTemplate);
        Assert.Equal(NetworkAddress.Parse("127.0.0.1"), template.SourceAddress);
        Assert.Equal(1, service.Destinations.Sum(d => d.PersistentConnections));
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Relay_ClientShutsDownSend_StillGetsTheReply(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        await using var harness = new ProxyHarness(engine);
        var port = ProxyHarness.FreePort();
        harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(a.EndPoint)));
        using var client = await TestClient.ConnectAsync(port, ct);

        await client.SendAsync("no newline", ct);
        var lines = await client.FinishAsync(ct);

        // The backend answers only after it saw the FIN the proxy passed on, and the answer still comes back.
        Assert.Equal(["A bye 10"], lines);
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Relay_LargeTransferBothWays_EveryByteArrives(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        await using var harness = new ProxyHarness(engine, new ProxyForwarderOptions { BufferSize = 1024 });
        var port = ProxyHarness.FreePort();
        var service = harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(a.EndPoint)));
        using var client = await TestClient.ConnectAsync(port, ct);

        // 64 lines of 1 000 bytes: many buffer-sized chunks in each direction, written before any is read back.
        var line = new string('x', 999);
        await client.SendAsync(string.Concat(Enumerable.Repeat(line + "\n", 64)), ct);
        var lines = await client.FinishAsync(ct);

        Assert.Equal(65, lines.Count);
        Assert.All(lines.Take(64), l => Assert.Equal("A " + line, l));
        Assert.Equal("A bye 64000", lines[^1]);
        Assert.Equal(64_000, service.Statistics.InBytes);
        Assert.Equal((64 * 1002) + "A bye 64000\n".Length, service.Statistics.OutBytes);
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Connect_BackendDown_NextServerServesAndFailureHookFires(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        await using var b = new TestBackend("B", "127.0.0.3");
        var dead = DeadEndPoint("127.0.0.5");
        await using var harness = new ProxyHarness(engine);
        var port = ProxyHarness.FreePort();
        harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin,
            ProxyHarness.Server(a.EndPoint), ProxyHarness.Server(dead), ProxyHarness.Server(b.EndPoint)));

        var names = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var client = await TestClient.ConnectAsync(port, ct);
            names.Add((await client.RequestAsync("up?", ct)).Split(' ')[0]);
            await client.FinishAsync(ct);
        }

        // rr visits the dead server within any three picks; each time the client is moved on to the next server.
        Assert.All(names, n => Assert.Contains(n, new[] { "A", "B" }));
        var failure = Assert.Single(harness.Failures);
        Assert.Equal(dead.Port, failure.Destination.Port);
        Assert.Equal(SocketError.ConnectionRefused, failure.Error);
        Assert.Equal(ServiceProtocol.Tcp, failure.Protocol);
        Assert.Equal(1, failure.Attempt);
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Connect_OnlyServerDown_ClientClosedAfterOneAttempt(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        var dead = DeadEndPoint("127.0.0.5");
        await using var harness = new ProxyHarness(engine);
        var port = ProxyHarness.FreePort();
        var service = harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(dead)));
        try
        {
            using var client = await TestClient.ConnectAsync(port, ct);
            await client.ReadToEndAsync(ct);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // The proxy's reset can overtake the completion of the client's own connect.
        }

        // The retry's SYN is scheduled to the same (only) server, so the proxy stops after one failed connect.
        Assert.Single(harness.Failures);
        var entry = Assert.Single(harness.Entries());
        Assert.Equal("CLOSE", entry.State);
        Assert.Equal(0, service.Destinations[0].ActiveConnections);
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Connect_FailureHandlerQuiescesServer_RetryAvoidsIt(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        var dead = DeadEndPoint("127.0.0.5");
        await using var harness = new ProxyHarness(engine);
        var port = ProxyHarness.FreePort();

        // wlc is deterministic: without the handler the retry would pick the idle dead server again.
        var service = harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.WeightedLeastConnection,
            ProxyHarness.Server(a.EndPoint), ProxyHarness.Server(dead, weight: 100)));
        harness.Forwarder.ConnectFailed += (_, e) => harness.Services.SetWeight(e.Destination, 0);

        using var client = await TestClient.ConnectAsync(port, ct);

        Assert.Equal("A ok", await client.RequestAsync("ok", ct));
        Assert.Equal(0, service.Destinations.Single(d => d.Port == dead.Port).Weight);
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Start_MaxConnectionsOne_SecondClientWaitsForTheFirst(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        await using var harness = new ProxyHarness(engine, new ProxyForwarderOptions { MaxConnectionsPerService = 1 });
        var port = ProxyHarness.FreePort();
        harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(a.EndPoint)));
        using var first = await TestClient.ConnectAsync(port, ct);
        Assert.Equal("A 1", await first.RequestAsync("1", ct));

        // The kernel completes the handshake into the backlog; the proxy does not accept until a slot frees.
        using var second = await TestClient.ConnectAsync(port, ct);
        await second.SendAsync("2\n", ct);
        await first.RequestAsync("still 1", ct);
        while (harness.Forwarder.Statistics.LimitWaits == 0)
        {
            await Task.Delay(10, ct); // counted when the listener stops accepting (event loop: when the second client is seen)
        }

        await first.FinishAsync(ct);

        Assert.Equal("A 2", await second.ReadLineAsync(ct));
        Assert.Equal(["accept 1", "close 1", "accept 2"], a.Events.Take(3));
        Assert.Equal(2, harness.Forwarder.Statistics.TcpConnections);
        Assert.InRange(harness.Forwarder.Statistics.LimitWaits, 1, 2 * Environment.ProcessorCount);
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Start_ProxyProtocolV1_ServerReceivesTheTextHeaderFirst(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        await using var harness = new ProxyHarness(engine, new ProxyForwarderOptions { ProxyProtocol = ProxyProtocolVersion.V1 });
        var port = ProxyHarness.FreePort();
        harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(a.EndPoint)));
        using var client = await TestClient.ConnectAsync(port, ct);
        var clientPort = client.LocalEndPoint.Port;

        await client.SendAsync("data", ct);
        await client.FinishAsync(ct);

        var expected = $"PROXY TCP4 127.0.0.1 127.0.0.1 {clientPort} {port}\r\ndata";
        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(Assert.Single(a.Received)));
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Start_ProxyProtocolV2_ServerReceivesTheBinaryHeaderFirst(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        await using var harness = new ProxyHarness(engine, new ProxyForwarderOptions { ProxyProtocol = ProxyProtocolVersion.V2 });
        var port = ProxyHarness.FreePort();
        harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(a.EndPoint)));
        using var client = await TestClient.ConnectAsync(port, ct);
        var clientPort = client.LocalEndPoint.Port;

        await client.SendAsync("data", ct);
        await client.FinishAsync(ct);

        byte[] expected =
        [
            0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, // signature
            0x21, // version 2, PROXY
            0x11, // AF_INET, STREAM
            0x00, 0x0C, // 12 address bytes follow
            127, 0, 0, 1, // source: the client
            127, 0, 0, 1, // destination: the virtual address
            (byte)(clientPort >> 8), (byte)clientPort,
            (byte)(port >> 8), (byte)port,
            (byte)'d', (byte)'a', (byte)'t', (byte)'a',
        ];
        Assert.Equal(expected, Assert.Single(a.Received));
    }

    /// <summary>An endpoint that refuses connections: a port bound and released again.</summary>
    private static System.Net.IPEndPoint DeadEndPoint(string address)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(address), 0));
        return (System.Net.IPEndPoint)socket.LocalEndPoint!;
    }
}
