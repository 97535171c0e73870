using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LoadBalancing.Forwarding.Proxy;
using LoadBalancing.Forwarding.Tests.Proxy.Fakes;
using LoadBalancing.Model;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Forwarding.Tests.Proxy;

/// <summary>
/// Short connections through the paths the event loop takes to save packets, for both TCP engines with real
/// loopback sockets: client bytes (and an end of stream) already queued when the proxy accepts, a server that
/// speaks first, a server that answers and closes at once (its FIN leaves with the last chunk), many connections in a
/// row each with its own PROXY header, and IPv6.
/// </summary>
public sealed class ProxyForwarderShortConnectionTests
{
    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Relay_ClientDataAndEndOfStreamQueuedBeforeAccept_ServerGetsHeaderThenExactlyThem(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;

        // The server sends back everything it received (PROXY header included), then closes.
        await using var backend = new RawBackend("127.0.0.2", async (socket, token) =>
        {
            var got = await ReadToEndAsync(socket, token);
            await RawBackend.SendAllAsync(socket, got, token);
        });

        // One connection at a time: the next clients wait in the kernel's backlog, where their bytes and FIN queue up.
        await using var harness = new ProxyHarness(engine, new ProxyForwarderOptions { MaxConnectionsPerService = 1, ProxyProtocol = ProxyProtocolVersion.V1 });
        var port = ProxyHarness.FreePort();
        var service = harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(backend.EndPoint)));
        using var holder = await ConnectAsync(IPAddress.Loopback, port, ct);
        await RawBackend.SendAllAsync(holder, "hold"u8.ToArray(), ct);
        await WaitUntilAsync(() => harness.Forwarder.OpenFlows == 1, ct);

        using var withData = await ConnectAsync(IPAddress.Loopback, port, ct);
        var request = Encoding.ASCII.GetBytes("GET / HTTP/1.0\r\n\r\n");
        await RawBackend.SendAllAsync(withData, request, ct);
        withData.Shutdown(SocketShutdown.Send);
        using var empty = await ConnectAsync(IPAddress.Loopback, port, ct);
        empty.Shutdown(SocketShutdown.Send); // a FIN and nothing else
        holder.Shutdown(SocketShutdown.Send); // frees the slot

        Assert.Equal(Concat(V1Header(holder, port), "hold"u8.ToArray()), await ReadToEndAsync(holder, ct));
        Assert.Equal(Concat(V1Header(withData, port), request), await ReadToEndAsync(withData, ct));
        Assert.Equal(V1Header(empty, port), await ReadToEndAsync(empty, ct));
        await WaitUntilAsync(() => harness.Forwarder.OpenFlows == 0, ct);
        Assert.Equal(3, service.Statistics.Connections);
        Assert.Equal(4 + request.Length, service.Statistics.InBytes); // the headers are not client bytes
        Assert.Equal(V1Header(holder, port).Length + V1Header(withData, port).Length + V1Header(empty, port).Length + 4 + request.Length, service.Statistics.OutBytes);
        Assert.All(harness.Entries(), e => Assert.NotEqual("ESTABLISHED", e.State));
        Assert.Equal(0, service.Destinations[0].ActiveConnections);
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Relay_ServerSpeaksFirst_ClientGetsTheGreetingBeforeSendingAnything(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        var greeting = "220 ready\r\n"u8.ToArray();
        await using var backend = new RawBackend("127.0.0.2", async (socket, token) =>
        {
            await RawBackend.SendAllAsync(socket, greeting, token);
            var command = await ReadToEndAsync(socket, token);
            await RawBackend.SendAllAsync(socket, Concat("221 "u8.ToArray(), command), token);
        });
        await using var harness = new ProxyHarness(engine);
        var port = ProxyHarness.FreePort();
        harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(backend.EndPoint)));
        using var client = await ConnectAsync(IPAddress.Loopback, port, ct);

        var first = new byte[greeting.Length];
        var read = 0;
        while (read < first.Length)
        {
            var n = await client.ReceiveAsync(first.AsMemory(read), ct);
            Assert.NotEqual(0, n);
            read += n;
        }

        Assert.Equal(greeting, first);
        await RawBackend.SendAllAsync(client, "QUIT"u8.ToArray(), ct);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal("221 QUIT"u8.ToArray(), await ReadToEndAsync(client, ct));
    }

    /// <summary>
    /// The HTTP "Connection: close" shape: the server answers a fixed-size request and closes at once, the client
    /// reads to the end and closes after. Forty connections in a row over three servers, each checked byte for byte
    /// (the server's name, then the v2 PROXY header with this client's own port, then its request), so nothing of
    /// one connection (buffer contents, offsets, an end of stream) shows in the next.
    /// </summary>
    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Relay_ManyServerClosedConnectionsInARow_EachReplyIsItsOwnByteForByte(ProxyEngine engine)
    {
        const int Connections = 40;
        const int RequestLength = 24;
        const int V2Ipv4Length = 16 + 12;
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        var backends = new List<RawBackend>();
        try
        {
            foreach (var (name, address) in new[] { ("A", "127.0.0.2"), ("B", "127.0.0.3"), ("C", "127.0.0.4") })
            {
                backends.Add(new RawBackend(address, async (socket, token) =>
                {
                    var got = await ReadExactlyAsync(socket, V2Ipv4Length + RequestLength, token);
                    await RawBackend.SendAllAsync(socket, Concat(Encoding.ASCII.GetBytes(name), got), token);
                    socket.Shutdown(SocketShutdown.Send); // answered: the server closes first
                    await ReadToEndAsync(socket, token);
                }));
            }

            await using var harness = new ProxyHarness(engine, new ProxyForwarderOptions { ProxyProtocol = ProxyProtocolVersion.V2 });
            var port = ProxyHarness.FreePort();
            var service = harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, [.. backends.Select(b => ProxyHarness.Server(b.EndPoint))]));
            var names = new List<string>();
            for (var i = 0; i < Connections; i++)
            {
                using var client = await ConnectAsync(IPAddress.Loopback, port, ct);
                var request = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"request {i:D4} of the test."))[..RequestLength];
                await RawBackend.SendAllAsync(client, request, ct);

                var reply = await ReadToEndAsync(client, ct);

                var name = Encoding.ASCII.GetString(reply, 0, 1);
                names.Add(name);
                Assert.Equal(Concat(Encoding.ASCII.GetBytes(name), V2Header(client, port), request), reply);
            }

            // Round robin over the three servers, so consecutive connections really changed server.
            Assert.Equal(Enumerable.Range(0, Connections).Select(i => names[i % 3]), names);
            Assert.Equal(3, names.Distinct().Count());
            await WaitUntilAsync(() => harness.Forwarder.OpenFlows == 0, ct);
            Assert.Equal(Connections, service.Statistics.Connections);
            Assert.Equal(Connections * RequestLength, service.Statistics.InBytes);
            Assert.Equal(Connections * (1 + V2Ipv4Length + RequestLength), service.Statistics.OutBytes);
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Relay_OverIPv6Loopback_EchoesAndSendsTheTcp6Header(ProxyEngine engine)
    {
        Assert.SkipUnless(Socket.OSSupportsIPv6 && HasIPv6Loopback(), "IPv6 loopback (::1) is not configured on this host");
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var echo = new RawBackend("::1", RawBackend.EchoAsync);
        await using var harness = new ProxyHarness(engine, new ProxyForwarderOptions { ProxyProtocol = ProxyProtocolVersion.V1 });
        var port = FreeIPv6Port();
        var config = new VirtualServiceConfig
        {
            Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse("::1"), port),
            Scheduler = SchedulerNames.RoundRobin,
            RealServers = [ProxyHarness.Server(echo.EndPoint)],
        };
        var service = harness.Start(config);
        using var client = await ConnectAsync(IPAddress.IPv6Loopback, port, ct);
        var payload = new byte[100_000];
        new Random(6).NextBytes(payload);

        var sending = Task.Run(
            async () =>
            {
                await RawBackend.SendAllAsync(client, payload, ct);
                client.Shutdown(SocketShutdown.Send);
            },
            ct);
        var reply = await ReadToEndAsync(client, ct);
        await sending;

        var clientPort = ((IPEndPoint)client.LocalEndPoint!).Port;
        var header = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"PROXY TCP6 ::1 ::1 {clientPort} {port}\r\n"));
        Assert.Equal(Concat(header, payload), reply);
        var entry = Assert.Single(harness.Entries());
        Assert.Equal(NetworkAddress.Parse("::1"), entry.SourceAddress);
        Assert.Equal(clientPort, entry.SourcePort);
        Assert.Equal(payload.Length, service.Statistics.InBytes);
    }

    /// <summary>
    /// The server resets the connection after the proxy's connect completed but before the PROXY header is sent:
    /// ConnectSucceeded runs in between (on the connection's loop or task), so a handler that lets the server reset
    /// and waits for it makes the header's send fail for certain. That failure is the header's (EventId 1016), not a
    /// relay failure (1014), in both engines.
    /// </summary>
    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Connect_ServerResetsBeforeTheProxyHeader_LoggedAsTheHeaderFailure(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var serverReset = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clientConnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new RawBackend("127.0.0.2", async (socket, token) =>
        {
            // Also after the client's connect has completed: on a busy machine the proxy's reset of the client could
            // otherwise reach the client before its connect's completion was read, which then fails with the reset.
            await Task.WhenAll(connected.Task, clientConnected.Task).WaitAsync(token);
            socket.LingerState = new LingerOption(true, 0);
            socket.Close(); // an RST, delivered on loopback before Close returns
            serverReset.TrySetResult();
        });
        var logger = new ListLogger<ProxyForwarder>();
        await using var harness = new ProxyHarness(engine, new ProxyForwarderOptions { ProxyProtocol = ProxyProtocolVersion.V1, ConnectAttempts = 1 }, logger: logger);
        harness.Forwarder.ConnectSucceeded += (_, _) =>
        {
            connected.TrySetResult();
            serverReset.Task.Wait(ct);
        };
        var port = ProxyHarness.FreePort();
        var service = harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(backend.EndPoint)));
        using var client = await ConnectAsync(IPAddress.Loopback, port, ct);
        clientConnected.SetResult();

        var received = await ReadToEndOrResetAsync(client, ct);

        Assert.Empty(received);
        await WaitUntilAsync(() => harness.Forwarder.OpenFlows == 0, ct);
        var failed = Assert.Single(logger.Entries, e => e.Id.Id == 1016);
        Assert.Contains(backend.EndPoint.Port.ToString(CultureInfo.InvariantCulture), failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logger.Entries, e => e.Id.Id == 1014);
        Assert.Equal(1, harness.Forwarder.Statistics.ProxyHeaderErrors);
        Assert.Equal(0, service.Destinations[0].ActiveConnections);
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static byte[] V1Header(Socket client, ushort port)
        => Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"PROXY TCP4 127.0.0.1 127.0.0.1 {((IPEndPoint)client.LocalEndPoint!).Port} {port}\r\n"));

    /// <summary>The v2 header for TCP over IPv4, built by hand (HAProxy's proxy-protocol.txt, section 2.2).</summary>
    private static byte[] V2Header(Socket client, ushort port)
    {
        var header = new byte[28];
        "\r\n\r\n\0\r\nQUIT\n"u8.CopyTo(header);
        header[12] = 0x21; // version 2, PROXY
        header[13] = 0x11; // AF_INET, STREAM
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), 12);
        IPAddress.Loopback.GetAddressBytes().CopyTo(header, 16); // source: the client
        IPAddress.Loopback.GetAddressBytes().CopyTo(header, 20); // destination: the VIP
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(24), (ushort)((IPEndPoint)client.LocalEndPoint!).Port);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(26), port);
        return header;
    }

    private static bool HasIPv6Loopback()
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static ushort FreeIPv6Port()
    {
        using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        return (ushort)((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static async Task<Socket> ConnectAsync(IPAddress address, ushort port, CancellationToken cancellationToken)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int length, CancellationToken cancellationToken)
    {
        var buffer = new byte[length];
        var read = 0;
        while (read < length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                throw new InvalidOperationException($"end of stream after {read} of {length} bytes");
            }

            read += n;
        }

        return buffer;
    }

    private static async Task<byte[]> ReadToEndAsync(Socket socket, CancellationToken cancellationToken)
    {
        var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, cancellationToken);
            if (n == 0)
            {
                return all.ToArray();
            }

            all.Write(buffer, 0, n);
        }
    }

    private static async Task<byte[]> ReadToEndOrResetAsync(Socket socket, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadToEndAsync(socket, cancellationToken);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return [];
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(10, cancellationToken);
        }
    }
}
