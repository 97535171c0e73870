using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LoadBalancing.Forwarding.Proxy;
using LoadBalancing.Forwarding.Tests.Proxy.Fakes;
using LoadBalancing.Model;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Forwarding.Tests.Proxy;

/// <summary>
/// The relay under load and at its edges, for both TCP engines, with real loopback sockets: many connections moving
/// megabytes both ways, half-closes from either side, a slow reader, a server that never answers the handshake and
/// a stop with connections open.
/// </summary>
public sealed class ProxyForwarderRelayTests
{
    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Relay_ManyConnectionsLargeTransfersBothWays_EveryByteEchoedAndCounted(ProxyEngine engine)
    {
        const int Clients = 32;
        const int Size = 1024 * 1024;
        using var timeout = LongTimeout();
        var ct = timeout.Token;
        await using var echo = new RawBackend("127.0.0.2", RawBackend.EchoAsync);
        await using var harness = new ProxyHarness(engine, new ProxyForwarderOptions { EventLoopThreads = 2 });
        var port = ProxyHarness.FreePort();
        var service = harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(echo.EndPoint)));

        var results = await Task.WhenAll(Enumerable.Range(0, Clients).Select(async i =>
        {
            var sent = new byte[Size];
            new Random(i).NextBytes(sent);
            using var client = await ConnectAsync(port, ct);
            var sending = Task.Run(
                async () =>
                {
                    await RawBackend.SendAllAsync(client, sent, ct);
                    client.Shutdown(SocketShutdown.Send);
                },
                ct);
            var received = await ReadToEndAsync(client, ct);
            await sending;
            return (Sent: sent, Received: received);
        }));

        Assert.All(results, r => Assert.True(r.Sent.AsSpan().SequenceEqual(r.Received), $"echo differs: {r.Received.Length} of {r.Sent.Length} bytes back"));
        Assert.Equal((long)Clients * Size, service.Statistics.InBytes);
        Assert.Equal((long)Clients * Size, service.Statistics.OutBytes);
        Assert.Equal(Clients, service.Statistics.Connections);
        await WaitUntilAsync(() => harness.Forwarder.OpenFlows == 0, ct);
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Relay_ServerHalfClosesFirst_ClientStillSendsAndServerGetsEveryByte(ProxyEngine engine)
    {
        using var timeout = LongTimeout();
        var ct = timeout.Token;
        var greeting = Pattern(200_000, 7);
        var upload = Pattern(300_000, 11);
        var serverGot = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new RawBackend("127.0.0.2", async (socket, token) =>
        {
            await RawBackend.SendAllAsync(socket, greeting, token);
            socket.Shutdown(SocketShutdown.Send); // the server's FIN first
            serverGot.SetResult(await ReadToEndAsync(socket, token));
        });
        await using var harness = new ProxyHarness(engine);
        var port = ProxyHarness.FreePort();
        harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(backend.EndPoint)));
        using var client = await ConnectAsync(port, ct);

        Assert.Equal(greeting, await ReadToEndAsync(client, ct)); // the end of stream came through …
        await RawBackend.SendAllAsync(client, upload, ct);       // … and the other direction still works
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal(upload, await serverGot.Task.WaitAsync(ct));
        await WaitUntilAsync(() => harness.Forwarder.OpenFlows == 0, ct);
    }

    /// <summary>
    /// The server does not read: the proxy must stop reading the client once its buffer is pending, so what the client
    /// manages to write is bounded by socket buffers (the kernel's autotuning maxima on the proxy's two sockets, small
    /// fixed ones on the client and the server, plus the proxy's buffer). A proxy that buffered without limit would
    /// take all of it. Then the server reads, and every byte arrives in order.
    /// </summary>
    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Relay_ServerDoesNotRead_ClientIsThrottledThenEveryByteArrives(ProxyEngine engine)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the bound is computed from Linux's socket-buffer sysctls");
        using var timeout = LongTimeout();
        var ct = timeout.Token;
        const int SmallBuffer = 64 * 1024;
        var bound = MaxAutotuned("tcp_rmem") + MaxAutotuned("tcp_wmem") + (4 * 1024 * 1024);
        var total = bound + (32 * 1024 * 1024);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var serverGot = new TaskCompletionSource<(long Count, long FirstWrong)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new RawBackend(
            "127.0.0.2",
            async (socket, token) =>
            {
                await go.Task.WaitAsync(token);
                var buffer = new byte[64 * 1024];
                long count = 0, firstWrong = -1;
                while (true)
                {
                    var n = await socket.ReceiveAsync(buffer, token);
                    if (n == 0)
                    {
                        break;
                    }

                    for (var i = 0; i < n && firstWrong < 0; i++)
                    {
                        if (buffer[i] != PatternByte(count + i))
                        {
                            firstWrong = count + i;
                        }
                    }

                    count += n;
                }

                serverGot.SetResult((count, firstWrong));
            },
            listener => listener.ReceiveBufferSize = SmallBuffer);
        await using var harness = new ProxyHarness(engine);
        var port = ProxyHarness.FreePort();
        harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(backend.EndPoint)));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { SendBufferSize = SmallBuffer };
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
        client.Blocking = false;

        // Write without blocking until a whole second passes without progress (or everything went).
        var chunk = new byte[64 * 1024];
        long written = 0;
        var lastProgress = Stopwatch.StartNew();
        while (written < total && lastProgress.Elapsed < TimeSpan.FromSeconds(1))
        {
            ct.ThrowIfCancellationRequested();
            var length = (int)Math.Min(chunk.Length, total - written);
            FillPattern(chunk.AsSpan(0, length), written);
            var n = client.Send(chunk, 0, length, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock || n == 0)
            {
                await Task.Delay(20, ct);
                continue;
            }

            Assert.Equal(SocketError.Success, error);
            written += n;
            lastProgress.Restart();
        }

        Assert.True(written < bound, $"the client wrote {written} bytes to a server that reads nothing (bound {bound})");

        go.SetResult();
        client.Blocking = true;
        while (written < total)
        {
            var length = (int)Math.Min(chunk.Length, total - written);
            FillPattern(chunk.AsSpan(0, length), written);
            written += await client.SendAsync(chunk.AsMemory(0, length), ct);
        }

        client.Shutdown(SocketShutdown.Send);
        var (count, firstWrong) = await serverGot.Task.WaitAsync(ct);
        Assert.Equal(-1, firstWrong);
        Assert.Equal(total, count);
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Connect_ServerNeverAnswersHandshake_TimedOutReportedAndClientClosed(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;

        // A listener with backlog 0 that never accepts: once one connection waits in its queue, SYNs are dropped.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.5"), 0));
        silent.Listen(0);
        var silentEndPoint = (IPEndPoint)silent.LocalEndPoint!;
        using var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await filler.ConnectAsync(silentEndPoint, ct);

        await using var harness = new ProxyHarness(engine, new ProxyForwarderOptions { ConnectTimeout = TimeSpan.FromMilliseconds(300), ConnectAttempts = 1 });
        var port = ProxyHarness.FreePort();
        var service = harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(silentEndPoint)));
        using var client = await ConnectAsync(port, ct);

        var received = await ReadToEndAsync(client, ct, tolerateReset: true);

        Assert.Empty(received);
        var failure = Assert.Single(harness.Failures);
        Assert.Equal(SocketError.TimedOut, failure.Error);
        Assert.Equal(silentEndPoint.Port, failure.Destination.Port);
        Assert.Equal(1, failure.Attempt);
        Assert.Equal("CLOSE", Assert.Single(harness.Entries()).State);
        Assert.Equal(0, service.Destinations[0].ActiveConnections);
    }

    [Fact]
    public async Task EventLoop_ABurstOfLongConnections_IsSharedEvenlyByTheLoops()
    {
        ProxyEngines.SkipIfUnsupported(ProxyEngine.EventLoop);
        const int Clients = 48;
        using var timeout = LongTimeout();
        var ct = timeout.Token;
        await using var echo = new RawBackend("127.0.0.2", RawBackend.EchoAsync);
        await using var harness = new ProxyHarness(ProxyEngine.EventLoop, new ProxyForwarderOptions { EventLoopThreads = 2 });
        var port = ProxyHarness.FreePort();
        harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(echo.EndPoint)));

        // All at once, as wrk opens its connections: the kernel queues them, and one loop's wake-up accepts a batch.
        var clients = await Task.WhenAll(Enumerable.Range(0, Clients).Select(async i =>
        {
            var client = await ConnectAsync(port, ct);
            await RawBackend.SendAllAsync(client, new[] { (byte)i }, ct);
            var echoed = new byte[1];
            Assert.Equal(1, await client.ReceiveAsync(echoed, ct));
            return client;
        }));
        try
        {
            var perLoop = harness.Forwarder.ConnectionsPerLoop;
            Assert.Equal(2, perLoop.Count);
            Assert.Equal(Clients, perLoop.Sum());
            Assert.True(Math.Abs(perLoop[0] - perLoop[1]) <= 4, $"connections per loop: {string.Join('/', perLoop)}"); // 3 apart at most, and one more when both loops accept at once
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        await WaitUntilAsync(() => harness.Forwarder.ConnectionsPerLoop.Sum() == 0, ct);
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task StopAsync_CancelledWithManyOpenConnections_ResetsAllDrainsAndStartsAgain(ProxyEngine engine)
    {
        const int Clients = 20;
        using var timeout = LongTimeout();
        var ct = timeout.Token;
        await using var echo = new RawBackend("127.0.0.2", RawBackend.EchoAsync);
        await using var harness = new ProxyHarness(engine, new ProxyForwarderOptions { EventLoopThreads = 2 });
        var port = ProxyHarness.FreePort();
        harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(echo.EndPoint)));
        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                var client = await ConnectAsync(port, ct);
                clients.Add(client);
                await RawBackend.SendAllAsync(client, Pattern(100_000, i), ct);
                var echoed = new byte[1000];
                Assert.True(await client.ReceiveAsync(echoed, ct) > 0);
            }

            Assert.Equal(Clients, harness.Forwarder.OpenFlows);
            using (var cancelled = new CancellationTokenSource())
            {
                await cancelled.CancelAsync();
                await harness.Forwarder.StopAsync(cancelled.Token);
            }

            Assert.False(harness.Forwarder.IsRunning);
            Assert.Equal(0, harness.Forwarder.OpenFlows);
            Assert.Empty(harness.Forwarder.ListeningServices);
            foreach (var client in clients)
            {
                await ReadToEndAsync(client, ct, tolerateReset: true); // ends (reset), does not hang
            }

            var refused = await Assert.ThrowsAsync<SocketException>(async () => (await ConnectAsync(port, ct)).Dispose());
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

            harness.Forwarder.Start();
            using var again = await ConnectAsync(port, ct);
            await RawBackend.SendAllAsync(again, "again"u8.ToArray(), ct);
            again.Shutdown(SocketShutdown.Send);
            Assert.Equal("again"u8.ToArray(), await ReadToEndAsync(again, ct));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task Start_EventLoopThreads3_RelaysOnThreeLoops()
    {
        ProxyEngines.SkipIfUnsupported(ProxyEngine.EventLoop);
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        var logger = new ListLogger<ProxyForwarder>();
        await using var echo = new RawBackend("127.0.0.2", RawBackend.EchoAsync);
        await using var harness = new ProxyHarness(ProxyEngine.EventLoop, new ProxyForwarderOptions { EventLoopThreads = 3 }, logger: logger);
        var port = ProxyHarness.FreePort();
        harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(echo.EndPoint)));

        using var client = await ConnectAsync(port, ct);
        await RawBackend.SendAllAsync(client, "ping"u8.ToArray(), ct);
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal("ping"u8.ToArray(), await ReadToEndAsync(client, ct));
        Assert.Equal(ProxyEngine.EventLoop, harness.Forwarder.Engine);
        var started = Assert.Single(logger.Entries, e => e.Id.Id == 1005);
        Assert.Contains("3 event-loop thread(s)", started.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ListenSocketPerLoop_EveryLoopServesAndRemovalRefusesAtOnce()
    {
        ProxyEngines.SkipIfUnsupported(ProxyEngine.EventLoop);
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var echo = new RawBackend("127.0.0.2", RawBackend.EchoAsync);
        await using var harness = new ProxyHarness(ProxyEngine.EventLoop, new ProxyForwarderOptions { EventLoopThreads = 3, ListenSocketPerLoop = true });
        var port = ProxyHarness.FreePort();
        var service = harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(echo.EndPoint)));

        // Connections from different client ports hash to the three sockets; each must be served.
        for (var i = 0; i < 24; i++)
        {
            using var client = await ConnectAsync(port, ct);
            var payload = Pattern(1000, i);
            await RawBackend.SendAllAsync(client, payload, ct);
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(payload, await ReadToEndAsync(client, ct));
        }

        Assert.Equal(24, service.Statistics.Connections);
        harness.Apply();
        var refused = await Assert.ThrowsAsync<SocketException>(async () => (await ConnectAsync(port, ct)).Dispose());
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task Engine_Auto_IsTheEventLoopOnLinuxAndSocketsElsewhere()
    {
        await using var harness = new ProxyHarness();

        Assert.Equal(OperatingSystem.IsLinux() ? ProxyEngine.EventLoop : ProxyEngine.Sockets, harness.Forwarder.Engine);
    }

    private static CancellationTokenSource LongTimeout()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(TimeSpan.FromSeconds(60));
        return source;
    }

    private static async Task<Socket> ConnectAsync(ushort port, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<byte[]> ReadToEndAsync(Socket socket, CancellationToken cancellationToken, bool tolerateReset = false)
    {
        var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, cancellationToken);
                if (n == 0)
                {
                    break;
                }

                all.Write(buffer, 0, n);
            }
        }
        catch (SocketException ex) when (tolerateReset && ex.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        return all.ToArray();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(10, cancellationToken);
        }
    }

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte PatternByte(long offset) => (byte)(offset % 251);

    private static void FillPattern(Span<byte> destination, long offset)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = PatternByte(offset + i);
        }
    }

    /// <summary>The third field of /proc/sys/net/ipv4/tcp_rmem or tcp_wmem: the most a socket buffer autotunes to.</summary>
    private static long MaxAutotuned(string name)
        => long.Parse(File.ReadAllText($"/proc/sys/net/ipv4/{name}").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);
}
