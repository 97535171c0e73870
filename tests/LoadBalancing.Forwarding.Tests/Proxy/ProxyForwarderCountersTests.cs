using LoadBalancing.Forwarding.Proxy;
using LoadBalancing.Forwarding.Tests.Proxy.Fakes;
using LoadBalancing.Model;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Forwarding.Tests.Proxy;

/// <summary>The connection table entries, ActiveConn/InActConn and traffic counters the proxy drives.</summary>
public sealed class ProxyForwarderCountersTests
{
    /// <summary>
    /// Masquerade entries use the INPUT/OUTPUT tables: client FIN in ESTABLISHED → CLOSE_WAIT, then the server's FIN
    /// → TIME_WAIT. Route entries are NOOUTPUT and use INPUT-ONLY: client FIN → FIN_WAIT, the server's FIN unseen.
    /// </summary>
    [Theory]
    [InlineData(ForwardingMethod.Masquerade, "TIME_WAIT", ProxyEngine.Sockets)]
    [InlineData(ForwardingMethod.Route, "FIN_WAIT", ProxyEngine.Sockets)]
    [InlineData(ForwardingMethod.Masquerade, "TIME_WAIT", ProxyEngine.EventLoop)]
    [InlineData(ForwardingMethod.Route, "FIN_WAIT", ProxyEngine.EventLoop)]
    public async Task Relay_OpenThenClosed_ActiveThenInactive(ForwardingMethod method, string finalState, ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        await using var harness = new ProxyHarness(engine);
        var port = ProxyHarness.FreePort();
        var service = harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(a.EndPoint, method: method)));
        var dest = service.Destinations[0];
        using var client = await TestClient.ConnectAsync(port, ct);

        Assert.Equal("A hi", await client.RequestAsync("hi", ct));

        Assert.Equal((1, 0), (dest.ActiveConnections, dest.InactiveConnections));
        var open = Assert.Single(harness.Entries());
        Assert.Equal("ESTABLISHED", open.State);
        Assert.Equal(client.LocalEndPoint.Port, open.SourcePort);
        Assert.Equal((ushort)a.EndPoint.Port, open.DestinationPort);

        Assert.Equal(["A bye 3"], await client.FinishAsync(ct));

        // The client saw the end of stream only after the proxy fed both FINs it passes on.
        Assert.Equal((0, 1), (dest.ActiveConnections, dest.InactiveConnections));
        Assert.Equal(finalState, Assert.Single(harness.Entries()).State);
        Assert.Equal(1, service.Statistics.Connections);
        Assert.Equal(1, dest.Statistics.Connections);
        Assert.Equal(3, service.Statistics.InBytes); // "hi\n"
        Assert.Equal(3, dest.Statistics.InBytes);
        Assert.Equal(5 + 8, service.Statistics.OutBytes); // "A hi\n" + "A bye 3\n"
        Assert.Equal(5 + 8, dest.Statistics.OutBytes);
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Sweep_IdleLongerThanIdleTimeout_BothSidesResetAndEntryClosed(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        var clock = new FakeTimeProvider();
        await using var a = new TestBackend("A", "127.0.0.2");
        await using var harness = new ProxyHarness(engine, new ProxyForwarderOptions { IdleTimeout = TimeSpan.FromSeconds(30) }, clock);
        var port = ProxyHarness.FreePort();
        var service = harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(a.EndPoint)));
        using var client = await TestClient.ConnectAsync(port, ct);
        Assert.Equal("A hi", await client.RequestAsync("hi", ct));

        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal("A still", await client.RequestAsync("still", ct));
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(1, service.Destinations[0].ActiveConnections);
        clock.Advance(TimeSpan.FromSeconds(2));

        await client.ReadToEndAsync(ct);
        await a.WaitClosedAsync(1, ct);
        Assert.Equal("CLOSE", Assert.Single(harness.Entries()).State);
        Assert.Equal((0, 1), (service.Destinations[0].ActiveConnections, service.Destinations[0].InactiveConnections));
        Assert.Equal(1, harness.Forwarder.Statistics.IdleTimeouts);
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task DisposeAsync_OpenConnection_ResetsItAndDrains(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        var harness = new ProxyHarness(engine);
        var port = ProxyHarness.FreePort();
        harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(a.EndPoint)));
        using var client = await TestClient.ConnectAsync(port, ct);
        Assert.Equal("A hi", await client.RequestAsync("hi", ct));
        Assert.Equal(1, harness.Forwarder.OpenFlows);

        await harness.DisposeAsync();

        Assert.False(harness.Forwarder.IsRunning);
        Assert.Equal(0, harness.Forwarder.OpenFlows);
        await client.ReadToEndAsync(ct);
        await a.WaitClosedAsync(1, ct);
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task StopAsync_NotCancelled_WaitsForOpenConnectionToFinish(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        await using var harness = new ProxyHarness(engine);
        var port = ProxyHarness.FreePort();
        harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(a.EndPoint)));
        using var client = await TestClient.ConnectAsync(port, ct);
        Assert.Equal("A hi", await client.RequestAsync("hi", ct));

        var stopping = harness.Forwarder.StopAsync(ct);

        Assert.False(stopping.IsCompleted);
        Assert.Equal("A during stop", await client.RequestAsync("during stop", ct));
        Assert.Equal(["A bye 15"], await client.FinishAsync(ct));
        await stopping;
        Assert.Equal(0, harness.Forwarder.OpenFlows);
    }
}
