using System.Net;
using System.Net.Sockets;
using System.Text;
using LoadBalancing.Forwarding.Proxy;
using LoadBalancing.Forwarding.Tests.Proxy.Fakes;
using LoadBalancing.Model;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Forwarding.Tests.Proxy;

/// <summary>UDP sessions through the proxy with real loopback sockets.</summary>
public sealed class ProxyForwarderUdpTests
{
    [Fact]
    public async Task Udp_TwoClients_RoundTripsReuseOneSessionPerClient()
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var u1 = new UdpTestBackend("U1", "127.0.0.2");
        await using var u2 = new UdpTestBackend("U2", "127.0.0.3");
        await using var harness = new ProxyHarness();
        var port = ProxyHarness.FreePort(ProtocolType.Udp);
        var service = harness.Start(ProxyHarness.Service(ServiceProtocol.Udp, port, SchedulerNames.RoundRobin,
            ProxyHarness.Server(u1.EndPoint), ProxyHarness.Server(u2.EndPoint)));
        using var first = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var second = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        var (reply1, from1) = await RoundTripAsync(first, port, "a", ct);
        var (reply2, from2) = await RoundTripAsync(first, port, "b", ct);
        var (reply3, _) = await RoundTripAsync(second, port, "c", ct);

        var name = reply1.Split(' ')[0];
        Assert.Equal($"{name} b", reply2);
        Assert.NotEqual(name, reply3.Split(' ')[0]);

        // Replies come from the virtual service's own socket.
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), from1);
        Assert.Equal(from1, from2);

        // Session reuse: the first client's two datagrams reached its server from one proxy socket.
        var backend = name == "U1" ? u1 : u2;
        Assert.Equal(2, backend.Peers.Count);
        Assert.Equal(backend.Peers[0], backend.Peers[1]);
        Assert.Equal(2, harness.Forwarder.OpenFlows);

        Assert.Equal(2, service.Statistics.Connections);
        Assert.Equal(3, service.Statistics.InBytes);
        Assert.Equal(reply1.Length + reply2.Length + reply3.Length, service.Statistics.OutBytes);
        Assert.All(harness.Entries(), e => Assert.Equal("UDP", e.State));
        Assert.Equal(2, service.Destinations.Sum(d => d.InactiveConnections));
    }

    [Fact]
    public async Task Udp_SessionIdleLongerThanTimeout_NextDatagramOpensNewSession()
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        var clock = new FakeTimeProvider();
        await using var u1 = new UdpTestBackend("U1", "127.0.0.2");
        await using var harness = new ProxyHarness(new ProxyForwarderOptions { UdpSessionTimeout = TimeSpan.FromSeconds(10) }, clock);
        var port = ProxyHarness.FreePort(ProtocolType.Udp);
        harness.Start(ProxyHarness.Service(ServiceProtocol.Udp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(u1.EndPoint)));
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        await RoundTripAsync(client, port, "a", ct);
        clock.Advance(TimeSpan.FromSeconds(9));
        await RoundTripAsync(client, port, "b", ct);
        clock.Advance(TimeSpan.FromSeconds(12));
        await RoundTripAsync(client, port, "c", ct);

        Assert.Equal(3, u1.Peers.Count);
        Assert.Equal(u1.Peers[0], u1.Peers[1]);
        Assert.NotEqual(u1.Peers[1], u1.Peers[2]);
    }

    [Fact]
    public async Task Udp_ServerPortClosed_FailureHookFires()
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        var dead = DeadUdpEndPoint("127.0.0.5");
        await using var harness = new ProxyHarness();
        var failed = new TaskCompletionSource<ProxyConnectFailedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Forwarder.ConnectFailed += (_, e) => failed.TrySetResult(e);
        var port = ProxyHarness.FreePort(ProtocolType.Udp);
        harness.Start(ProxyHarness.Service(ServiceProtocol.Udp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(dead)));
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        // The ICMP port unreachable for the first datagram is reported on the session socket's pending receive.
        await client.SendAsync(Encoding.ASCII.GetBytes("a"), new IPEndPoint(IPAddress.Loopback, port), ct);
        var failure = await failed.Task.WaitAsync(ct);

        Assert.Equal(dead.Port, failure.Destination.Port);
        Assert.Equal(ServiceProtocol.Udp, failure.Protocol);
        Assert.Equal(SocketError.ConnectionRefused, failure.Error);
    }

    [Fact]
    public async Task ConnectSucceeded_RaisedOnceOnTheSessionsFirstReply()
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new UdpTestBackend("A", "127.0.0.2");
        await using var harness = new ProxyHarness();
        var successes = new System.Collections.Concurrent.ConcurrentQueue<ProxyConnectSucceededEventArgs>();
        harness.Forwarder.ConnectSucceeded += (_, e) => successes.Enqueue(e);
        var port = ProxyHarness.FreePort(ProtocolType.Udp);
        var service = harness.Start(ProxyHarness.Service(ServiceProtocol.Udp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(a.EndPoint)));
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        // Three round trips on one session: one success (the first reply proves the server is there).
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("A " + i, (await RoundTripAsync(client, port, i.ToString(System.Globalization.CultureInfo.InvariantCulture), ct)).Reply);
        }

        var success = Assert.Single(successes);
        Assert.Same(service.Destinations[0], success.Destination);
        Assert.Equal((ServiceProtocol.Udp, service.Key), (success.Protocol, success.Service));
        Assert.Empty(harness.Failures);
    }

    private static async Task<(string Reply, IPEndPoint From)> RoundTripAsync(UdpClient client, ushort port, string payload, CancellationToken cancellationToken)
    {
        await client.SendAsync(Encoding.ASCII.GetBytes(payload), new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
        var result = await client.ReceiveAsync(cancellationToken);
        return (Encoding.ASCII.GetString(result.Buffer), result.RemoteEndPoint);
    }

    private static IPEndPoint DeadUdpEndPoint(string address)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        return (IPEndPoint)socket.LocalEndPoint!;
    }
}
