using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LoadBalancing.Forwarding.Proxy;
using LoadBalancing.Forwarding.Tests.Proxy.Fakes;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace LoadBalancing.Forwarding.Tests.Metrics;

/// <summary>
/// The <c>lb.proxy.*</c> instruments <c>AddProxyForwarder</c> registers, read after real clients went through the
/// proxy on loopback to real (and refusing) servers.
/// </summary>
public sealed class ProxyMetricsTests
{
    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Tcp_ClientsThroughTheProxy_ConnectionsFailuresAndOpenFlowsObserved(ProxyEngine engine)
    {
        ProxyEngines.SkipIfUnsupported(engine);
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var live = new TestBackend("A", "127.0.0.2");
        await using var provider = Provider(new ProxyForwarderOptions { Engine = engine, ConnectAttempts = 2 });
        var meters = provider.GetRequiredService<IMeterFactory>();
        using var connections = MetricsReader.Collect(meters, "lb.proxy.connections");
        using var failures = MetricsReader.Collect(meters, "lb.proxy.connect_failures");
        using var exhausted = MetricsReader.Collect(meters, "lb.proxy.connect_attempts_exhausted");
        using var noDestination = MetricsReader.Collect(meters, "lb.proxy.no_destination");
        using var open = MetricsReader.Collect(meters, "lb.proxy.open_flows");
        var forwarder = provider.GetRequiredService<ProxyForwarder>();
        var table = provider.GetRequiredService<ServiceTable>();
        ushort livePort = ProxyHarness.FreePort(), deadPort = ProxyHarness.FreePort(), quiescedPort = ProxyHarness.FreePort();
        var refusing = new IPEndPoint(IPAddress.Parse("127.0.0.3"), ProxyHarness.FreePort()); // nothing listens: RST
        table.Apply(new LoadBalancerConfig
        {
            Services =
            [
                ProxyHarness.Service(ServiceProtocol.Tcp, livePort, SchedulerNames.RoundRobin, ProxyHarness.Server(live.EndPoint)),
                ProxyHarness.Service(ServiceProtocol.Tcp, deadPort, SchedulerNames.RoundRobin, ProxyHarness.Server(refusing)),
                ProxyHarness.Service(ServiceProtocol.Tcp, quiescedPort, SchedulerNames.RoundRobin, ProxyHarness.Server(live.EndPoint, weight: 0)),
            ],
        });
        forwarder.Start();
        try
        {
            using (var first = await TestClient.ConnectAsync(livePort, ct))
            {
                Assert.Equal("A 1", await first.RequestAsync("1", ct));
                Assert.Equal(1, MetricsReader.Single(open));
                for (var i = 2; i <= 3; i++)
                {
                    using var next = await TestClient.ConnectAsync(livePort, ct);
                    Assert.Equal($"A {i}", await next.RequestAsync($"{i}", ct));
                    await next.FinishAsync(ct);
                }

                await first.FinishAsync(ct);
            }

            // The only server refuses: the proxy tries it once, will not retry the same server, and resets the client.
            await ConnectUntilClosedAsync(deadPort, ct);
            await ConnectUntilClosedAsync(deadPort, ct);
            await ConnectUntilClosedAsync(quiescedPort, ct);

            await WaitUntilAsync(() => forwarder.Statistics.TcpNoDestination == 1 && forwarder.Statistics.ConnectAttemptsExhausted == 2 && forwarder.OpenFlows == 0, ct);

            Assert.Equal(new Dictionary<string, long> { ["tcp"] = 6, ["udp"] = 0 }, MetricsReader.ByTag(connections, "lb.protocol"));
            Assert.Equal(new Dictionary<string, long> { ["tcp"] = 2, ["udp"] = 0 }, MetricsReader.ByTag(failures, "lb.protocol"));
            Assert.Equal(new Dictionary<string, long> { ["tcp"] = 1, ["udp"] = 0 }, MetricsReader.ByTag(noDestination, "lb.protocol"));
            Assert.Equal(2, MetricsReader.Single(exhausted));
            Assert.Equal(0, MetricsReader.Single(open));
            Assert.Equal("{connection}", connections.Instrument!.Unit);
            Assert.IsType<ObservableUpDownCounter<long>>(open.Instrument);
        }
        finally
        {
            await forwarder.DisposeAsync();
        }
    }

    [Fact]
    public async Task Udp_SessionsAndDatagramsWithoutServer_Observed()
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var backend = new UdpTestBackend("U", "127.0.0.2");
        await using var provider = Provider(new ProxyForwarderOptions());
        var meters = provider.GetRequiredService<IMeterFactory>();
        using var connections = MetricsReader.Collect(meters, "lb.proxy.connections");
        using var noDestination = MetricsReader.Collect(meters, "lb.proxy.no_destination");
        var forwarder = provider.GetRequiredService<ProxyForwarder>();
        var table = provider.GetRequiredService<ServiceTable>();
        var port = ProxyHarness.FreePort(ProtocolType.Udp);
        var config = ProxyHarness.Service(ServiceProtocol.Udp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(backend.EndPoint));
        table.Apply(new LoadBalancerConfig { Services = [config] });
        forwarder.Start();
        try
        {
            using var first = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            using var second = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            Assert.Equal("U a", await RoundTripAsync(first, port, "a", ct));
            Assert.Equal("U b", await RoundTripAsync(first, port, "b", ct));
            Assert.Equal("U c", await RoundTripAsync(second, port, "c", ct));

            // Quiesced: a new client's datagrams have no server and are dropped.
            table.Apply(new LoadBalancerConfig { Services = [config with { RealServers = [ProxyHarness.Server(backend.EndPoint, weight: 0)] }] });
            using var third = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            await third.SendAsync(Encoding.ASCII.GetBytes("d"), new IPEndPoint(IPAddress.Loopback, port), ct);
            await third.SendAsync(Encoding.ASCII.GetBytes("e"), new IPEndPoint(IPAddress.Loopback, port), ct);
            await WaitUntilAsync(() => forwarder.Statistics.UdpNoDestination == 2, ct);

            Assert.Equal(new Dictionary<string, long> { ["tcp"] = 0, ["udp"] = 2 }, MetricsReader.ByTag(connections, "lb.protocol"));
            Assert.Equal(new Dictionary<string, long> { ["tcp"] = 0, ["udp"] = 2 }, MetricsReader.ByTag(noDestination, "lb.protocol"));
        }
        finally
        {
            await forwarder.DisposeAsync();
        }
    }

    [Fact]
    public async Task AddProxyForwarder_EveryInstrumentOnTheLoadBalancingMeterWithUnitAndDescription()
    {
        await using var provider = Provider(new ProxyForwarderOptions());
        var meters = provider.GetRequiredService<IMeterFactory>();
        var found = new List<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Name.StartsWith("lb.proxy.", StringComparison.Ordinal))
                {
                    found.Add(instrument);
                }
            },
        };
        listener.Start();
        Assert.Empty(found); // nothing until the forwarder is resolved

        _ = provider.GetRequiredService<ProxyForwarder>();

        Assert.Equal(
            ["lb.proxy.accept_errors", "lb.proxy.connect_attempts_exhausted", "lb.proxy.connect_failures", "lb.proxy.connections", "lb.proxy.idle_timeouts", "lb.proxy.limit_waits", "lb.proxy.no_destination", "lb.proxy.open_flows", "lb.proxy.proxy_header_errors", "lb.proxy.udp.send_errors"],
            found.Select(i => i.Name).Order(StringComparer.Ordinal));
        Assert.All(found, i =>
        {
            Assert.Equal("LoadBalancing", i.Meter.Name);
            Assert.False(string.IsNullOrEmpty(i.Unit), i.Name);
            Assert.False(string.IsNullOrEmpty(i.Description), i.Name);
        });
    }

    private static ServiceProvider Provider(ProxyForwarderOptions options)
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddLoadBalancing().AddProxyForwarder(options);
        return services.BuildServiceProvider();
    }

    private static async Task<string> RoundTripAsync(UdpClient client, ushort port, string payload, CancellationToken cancellationToken)
    {
        await client.SendAsync(Encoding.ASCII.GetBytes(payload), new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
        var result = await client.ReceiveAsync(cancellationToken);
        return Encoding.ASCII.GetString(result.Buffer);
    }

    /// <summary>Connects and reads until the proxy closes or resets the connection (a reset may already fail the connect).</summary>
    private static async Task ConnectUntilClosedAsync(ushort port, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            var buffer = new byte[64];
            while (await socket.ReceiveAsync(buffer, cancellationToken) > 0)
            {
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(20, cancellationToken);
        }
    }
}
