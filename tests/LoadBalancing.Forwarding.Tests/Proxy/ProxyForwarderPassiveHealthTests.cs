using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LoadBalancing.Forwarding.Proxy;
using LoadBalancing.Forwarding.Tests.Proxy.Fakes;
using LoadBalancing.Health;
using LoadBalancing.Health.Outliers;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Forwarding.Tests.Proxy;

/// <summary>
/// The proxy wired to outlier detection through DI (<c>AddOutlierDetection</c> + <c>AddProxyForwarder</c>), with real
/// TCP servers on loopback and one whose port refuses; outlier timing on fake time, sockets real.
/// </summary>
public sealed class ProxyForwarderPassiveHealthTests
{
    private static readonly OutlierDetectionOptions Outliers = new()
    {
        ConsecutiveFailures = 3,
        Interval = TimeSpan.FromSeconds(1),
        BaseEjectionTime = TimeSpan.FromSeconds(10),
        SuccessRate = null,
    };

    [Fact]
    public async Task RefusingServer_ThreeConsecutiveFailures_EjectedGetsNoConnections_ReturnsAfterEjectionTime()
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        await using var b = new TestBackend("B", "127.0.0.3");
        using var c = new RecoveringBackend("C", "127.0.0.4");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var port = ProxyHarness.FreePort();

        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddLoadBalancing()
            .AddHealthChecks(o => o.ProbeFactory = _ => null) // passive checks alone
            .AddOutlierDetection(Outliers)
            .AddProxyForwarder();
        await using var provider = services.BuildServiceProvider();
        var table = provider.GetRequiredService<ServiceTable>();
        table.Apply(new LoadBalancerConfig
        {
            Services = [ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin,
                ProxyHarness.Server(a.EndPoint), ProxyHarness.Server(b.EndPoint), ProxyHarness.Server(c.EndPoint))],
        });
        var hosted = provider.GetServices<IHostedService>().ToList();
        foreach (var service in hosted)
        {
            await service.StartAsync(ct);
        }

        var forwarder = provider.GetRequiredService<ProxyForwarder>();
        var detector = provider.GetRequiredService<OutlierDetector>();
        var changes = new ConcurrentQueue<OutlierChange>();
        detector.Changed += (_, e) => changes.Enqueue(e);
        var failures = new ConcurrentQueue<ProxyConnectFailedEventArgs>();
        forwarder.ConnectFailed += (_, e) => failures.Enqueue(e);
        forwarder.Start();
        try
        {
            Assert.True(table.TryGetService(VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, ProxyHarness.Vip, port), out var state));
            var dead = state.Destinations.Single(d => d.Port == c.EndPoint.Port);

            // rr over A, B, C: every third pick is C, refused, and the proxy retries the client on the next server.
            // The third refusal in a row ejects C at once; no client notices (all are served by A or B).
            var answers = new List<string>();
            for (var i = 0; i < 9; i++)
            {
                answers.Add(await RequestAsync(port, i, ct));
            }

            Assert.All(answers, x => Assert.Matches("^[AB] ", x));
            Assert.Equal(3, failures.Count);
            Assert.All(failures, f => Assert.Same(dead, f.Destination));
            Assert.All(failures, f => Assert.Equal(SocketError.ConnectionRefused, f.Error));
            var ejection = Assert.Single(changes);
            Assert.True(ejection.IsEjected);
            Assert.Equal(OutlierEjectionReason.ConsecutiveFailures, ejection.Reason);
            Assert.True(detector.IsEjected(dead));
            Assert.Equal(0, dead.Weight);
            Assert.True(provider.GetRequiredService<ServiceTableHealthAdapter>().IsRemoved(dead));

            // Ejected: weight 0, so the scheduler never picks it; no further connect to C is even tried.
            for (var i = 0; i < 12; i++)
            {
                Assert.Matches("^[AB] ", await RequestAsync(port, 100 + i, ct));
            }

            Assert.Equal(3, failures.Count);
            Assert.Equal(0, c.Accepted);

            // The server recovers; the ejection (10 s × 1) ends at the first sweep strictly after it.
            c.Listen();
            for (var s = 0; s < 10; s++)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
            }

            Assert.True(detector.IsEjected(dead));
            clock.Advance(TimeSpan.FromSeconds(1));
            Assert.False(detector.IsEjected(dead));
            Assert.Equal(1, dead.Weight);
            Assert.False(changes.Last().IsEjected);

            var after = new List<string>();
            for (var i = 0; i < 6; i++)
            {
                after.Add(await RequestAsync(port, 200 + i, ct));
            }

            Assert.Equal(2, after.Count(x => x.StartsWith("C ", StringComparison.Ordinal)));
            Assert.Equal(2, c.Accepted);
            Assert.Equal(3, failures.Count);
        }
        finally
        {
            await forwarder.StopAsync(ct);
            foreach (var service in hosted)
            {
                await service.StopAsync(CancellationToken.None);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task ConnectSucceeded_ResetsTheConsecutiveCount_AlternatingOutcomesNeverEject(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        using var c = new RecoveringBackend("C", "127.0.0.4");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var port = ProxyHarness.FreePort();
        await using var harness = new ProxyHarness(engine);
        var detector = new OutlierDetector(harness.Services, Outliers, clock);
        using var bridge = harness.Forwarder.ReportTo(detector);
        var successes = new ConcurrentQueue<ProxyConnectSucceededEventArgs>();
        harness.Forwarder.ConnectSucceeded += (_, e) => successes.Enqueue(e);
        var state = harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin,
            ProxyHarness.Server(a.EndPoint), ProxyHarness.Server(c.EndPoint)));
        var flaky = state.Destinations.Single(d => d.Port == c.EndPoint.Port);

        // rr over A and C: from the first pick of C on, every client is refused by C and retried on A.
        // Two refusals, then C answers (the success resets the count), then two refusals again: never three in a row.
        await RequestUntilFailuresAsync(port, harness, 2, ct);
        c.Listen();
        while (c.Accepted == 0)
        {
            await RequestAsync(port, 10, ct);
        }

        Assert.Contains(successes, e => ReferenceEquals(e.Destination, flaky) && e.Protocol == ServiceProtocol.Tcp);
        c.StopListening();
        await RequestUntilFailuresAsync(port, harness, 4, ct);
        Assert.False(detector.IsEjected(flaky));
        Assert.Equal(1, flaky.Weight);

        // A third refusal in a row now ejects (the count is per server, not per client).
        await RequestUntilFailuresAsync(port, harness, 5, ct);
        Assert.True(detector.IsEjected(flaky));
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task ReportTo_Disposed_StopsReporting(ProxyEngine engine)
    {
        using var timeout = TestTimeout.Create();
        var ct = timeout.Token;
        await using var a = new TestBackend("A", "127.0.0.2");
        using var c = new RecoveringBackend("C", "127.0.0.4");
        var port = ProxyHarness.FreePort();
        await using var harness = new ProxyHarness(engine);
        var detector = new OutlierDetector(harness.Services, Outliers, new FakeTimeProvider());
        var bridge = harness.Forwarder.ReportTo(detector);
        var state = harness.Start(ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin,
            ProxyHarness.Server(a.EndPoint), ProxyHarness.Server(c.EndPoint)));
        var dead = state.Destinations.Single(d => d.Port == c.EndPoint.Port);

        await RequestUntilFailuresAsync(port, harness, 2, ct);
        bridge.Dispose();
        await RequestUntilFailuresAsync(port, harness, 6, ct);

        Assert.False(detector.IsEjected(dead));
    }

    private static async Task RequestUntilFailuresAsync(ushort port, ProxyHarness harness, int failures, CancellationToken ct)
    {
        for (var i = 0; harness.Failures.Count < failures; i++)
        {
            Assert.True(i < 4 * failures, "the proxy stopped trying the refusing server");
            Assert.StartsWith("A ", await RequestAsync(port, i, ct), StringComparison.Ordinal);
        }

        Assert.Equal(failures, harness.Failures.Count);
    }

    private static async Task<string> RequestAsync(ushort port, int i, CancellationToken ct)
    {
        using var client = await TestClient.ConnectAsync(port, ct);
        var reply = await client.RequestAsync(i.ToString(System.Globalization.CultureInfo.InvariantCulture), ct);
        await client.FinishAsync(ct);
        return reply;
    }

    /// <summary>
    /// A real server that is down (its port bound but not listening, so a connect is refused with RST) until
    /// <see cref="Listen"/>; then it answers each line "x" with "&lt;name&gt; x".
    /// </summary>
    private sealed class RecoveringBackend : IDisposable
    {
        private readonly string _name;
        private readonly string _address;
        private Socket _socket;
        private int _accepted;

        public RecoveringBackend(string name, string address)
        {
            _name = name;
            _address = address;
            _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
            EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        }

        public IPEndPoint EndPoint { get; }

        public int Accepted => Volatile.Read(ref _accepted);

        public void Listen()
        {
            _socket.Listen();
            _ = AcceptLoopAsync(_socket);
        }

        /// <summary>Closes the listener and binds the port again without listening: refused once more.</summary>
        public void StopListening()
        {
            _socket.Dispose();
            _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _socket.Bind(new IPEndPoint(IPAddress.Parse(_address), EndPoint.Port));
        }

        public void Dispose() => _socket.Dispose();

        private async Task AcceptLoopAsync(Socket listener)
        {
            try
            {
                while (true)
                {
                    var connection = await listener.AcceptAsync();
                    Interlocked.Increment(ref _accepted);
                    _ = ServeAsync(connection);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        private async Task ServeAsync(Socket connection)
        {
            using var stream = new NetworkStream(connection, ownsSocket: true);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            try
            {
                while (await reader.ReadLineAsync() is { } line)
                {
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"{_name} {line}\n"));
                }
            }
            catch (IOException)
            {
            }
        }
    }
}
