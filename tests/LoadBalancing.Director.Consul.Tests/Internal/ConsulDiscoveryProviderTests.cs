using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using LoadBalancing.Consul;
using LoadBalancing.Consul.Tests.Fakes;
using LoadBalancing.Director.Consul.Internal;
using LoadBalancing.Director.Consul.Tests.Fakes;
using LoadBalancing.Director.Discovery;
using LoadBalancing.Model;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Director.Consul.Tests.Internal;

/// <summary>
/// The provider against the stateful fake agent (real HTTP on 127.0.0.1, real blocking queries) and, for the documented
/// shapes, the scripted server replaying fixtures. The provider's own clock (grace periods) is a <see cref="FakeTimeProvider"/>;
/// the client's (rate limit, back-off) is the system clock so blocking queries flow on their own.
/// </summary>
public sealed class ConsulDiscoveryProviderTests
{
    private const string VsTag = "lb.vs=tcp:192.168.1.254:80";
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private static readonly VirtualServiceKey Vs = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse("192.168.1.254"), 80);

    [Fact]
    public async Task Watch_InstanceRegisters_NextSnapshotHasItFromTheBlockingQuery()
    {
        await using var consul = new FakeConsulAgent();
        consul.AddInstance("rs1", "web-1", "web", "10.0.0.11", 8080, [VsTag], weights: (10, 1));
        await using var run = Run(consul, o => o.Services.Add("web"));

        var first = await run.NextAsync();
        var service = Assert.Single(first.Services);
        Assert.Equal(Vs, service.Key);
        var rs = Assert.Single(service.RealServers);
        Assert.Equal((NetworkAddress.Parse("10.0.0.11"), (ushort)8080, 10, ForwardingMethod.Route), (rs.Address, rs.Port, rs.Weight, rs.Method));

        // The watch is now parked in a blocking query (Wait is 5 minutes): the new instance can only come from its wake-up.
        await WaitForBlockingQueryAsync(consul, "/v1/health/service/web");
        consul.AddInstance("rs2", "web-2", "web", "10.0.0.12", 8080, [VsTag], new Dictionary<string, string> { ["lb-forward"] = "masq" });
        var second = await run.NextAsync();

        Assert.Equal(
            [("10.0.0.11", 10, ForwardingMethod.Route), ("10.0.0.12", 1, ForwardingMethod.Masquerade)],
            Assert.Single(second.Services).RealServers.Select(r => (r.Address.ToString(), r.Weight, r.Method)));
    }

    [Fact]
    public async Task Watch_InstanceTurnsCritical_QuiescedAtOnceThenRemovedAfterGrace()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-30T05:00:00Z"));
        await using var consul = new FakeConsulAgent();
        consul.AddInstance("rs1", "web-1", "web", "10.0.0.11", 80, [VsTag], weights: (2, 1));
        consul.AddInstance("rs2", "web-2", "web", "10.0.0.12", 80, [VsTag], weights: (5, 2));
        await using var run = Run(consul, o =>
        {
            o.Services.Add("web");
            o.CriticalGracePeriod = TimeSpan.FromSeconds(30);
        }, clock);
        Assert.Equal(new[] { 2, 5 }, Weights(await run.NextAsync()));

        consul.SetCheckStatus("service:web-2", "critical");
        var quiesced = await run.NextAsync();
        Assert.Equal(new[] { 2, 0 }, Weights(quiesced));

        // Warning is not critical: Weights.Warning, and no grace period runs.
        consul.SetCheckStatus("service:web-1", "warning");
        Assert.Equal(new[] { 1, 0 }, Weights(await run.NextAsync()));

        var next = run.MoveNextAsync();
        clock.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromTicks(1));
        await Task.Delay(200, Ct);
        Assert.False(next.IsCompleted);
        clock.Advance(TimeSpan.FromTicks(1));
        var removed = await run.CurrentAfterAsync(next);

        Assert.Equal(["10.0.0.11"], Assert.Single(removed.Services).RealServers.Select(r => r.Address.ToString()));
    }

    [Fact]
    public async Task Watch_CriticalRecoversWithinGrace_WeightBackAndNotRemoved()
    {
        var clock = new FakeTimeProvider();
        await using var consul = new FakeConsulAgent();
        consul.AddInstance("rs1", "web-1", "web", "10.0.0.11", 80, [VsTag], weights: (3, 1));
        await using var run = Run(consul, o => o.Services.Add("web"), clock);
        await run.NextAsync();

        consul.SetCheckStatus("service:web-1", "critical");
        Assert.Equal(new[] { 0 }, Weights(await run.NextAsync()));
        clock.Advance(TimeSpan.FromSeconds(20));
        consul.SetCheckStatus("service:web-1", "passing");
        Assert.Equal(new[] { 3 }, Weights(await run.NextAsync()));

        // The grace timer of the old critical spell must not remove it now.
        var next = run.MoveNextAsync();
        clock.Advance(TimeSpan.FromSeconds(60));
        await Task.Delay(200, Ct);
        Assert.False(next.IsCompleted);
        await run.DisposeAsync();
    }

    [Fact]
    public async Task Watch_MaintenanceMode_Quiesced()
    {
        await using var consul = new FakeConsulAgent(nodeName: "rs1");
        using var client = ConsulClientFactory.Create(consul.ClientOptions());
        await client.RegisterServiceAsync(new LoadBalancing.Consul.Model.ServiceRegistration
        {
            Id = "web-1", Name = "web", Address = "10.0.0.11", Port = 80, Tags = [VsTag],
            Check = new LoadBalancing.Consul.Model.CheckDefinition { CheckId = "web-1:ttl", Ttl = TimeSpan.FromSeconds(30), Status = "passing" },
        }, cancellationToken: Ct);
        await using var run = Run(consul, o => o.Services.Add("web"));
        Assert.Equal(new[] { 1 }, Weights(await run.NextAsync()));

        await client.SetServiceMaintenanceAsync("web-1", true, "drain", Ct);

        Assert.Equal(new[] { 0 }, Weights(await run.NextAsync()));
    }

    [Fact]
    public async Task Watch_ConsulUnreachable_KeepsLastPoolSaysSoAndRecovers()
    {
        await using var consul = new FakeConsulAgent();
        consul.AddInstance("rs1", "web-1", "web", "10.0.0.11", 80, [VsTag], weights: (4, 1));
        var logs = new ListLogger();
        var stale = new List<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "LoadBalancing" && instrument.Name == "lb.discovery.consul.stale")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            if (tags.ToArray().Any(t => t.Key == "provider" && (string?)t.Value == "consul-outage-test"))
            {
                lock (stale)
                {
                    stale.Add(value);
                }
            }
        });
        listener.Start();
        await using var run = Run(consul, o =>
        {
            o.Services.Add("web");
            o.ProviderName = "consul-outage-test";
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(100);
        }, logger: logs);
        Assert.Single(Assert.Single((await run.NextAsync()).Services).RealServers);
        await WaitForBlockingQueryAsync(consul, "/v1/health/service/web");

        var next = run.MoveNextAsync();
        consul.Mode = FakeConsulAgent.AgentMode.Unreachable;
        consul.SetCheckStatus("service:web-1", "warning");    // wake the parked query so it meets the outage
        var unreachable = await logs.WaitForAsync(1100);

        Assert.Equal(LogLevel.Warning, unreachable.Level);
        Assert.Contains("keeping the last good pool", unreachable.Message, StringComparison.Ordinal);
        Assert.Contains("web", unreachable.Message, StringComparison.Ordinal);
        lock (stale)
        {
            Assert.Equal(new[] { 1L }, stale);
        }

        // Failing queries keep coming (back-off), and none of them publishes anything: the pool stays as it was.
        var failedBefore = consul.Requests.Count;
        await WaitUntilAsync(() => consul.Requests.Count >= failedBefore + 3);
        Assert.False(next.IsCompleted);

        consul.Mode = FakeConsulAgent.AgentMode.NoLeader;
        await WaitUntilAsync(() => consul.Requests.Count >= failedBefore + 5);
        Assert.False(next.IsCompleted);

        consul.Mode = FakeConsulAgent.AgentMode.Up;
        var recovered = await run.CurrentAfterAsync(next);
        await logs.WaitForAsync(1101);

        Assert.Equal(new[] { 1 }, Weights(recovered));   // the warning set during the outage, now seen
        lock (stale)
        {
            Assert.Equal([1L, -1L], stale);
        }
    }

    [Fact]
    public async Task Watch_FirstQueryFails_PublishesNothingUntilConsulAnswers()
    {
        await using var consul = new FakeConsulAgent { Mode = FakeConsulAgent.AgentMode.NoLeader };
        consul.AddInstance("rs1", "web-1", "web", "10.0.0.11", 80, [VsTag]);
        var logs = new ListLogger();
        await using var run = Run(consul, o =>
        {
            o.Services.Add("web");
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(50);
        }, logger: logs);

        var next = run.MoveNextAsync();
        await logs.WaitForAsync(1100);
        Assert.False(next.IsCompleted);       // an empty layer is never published for a failure

        consul.Mode = FakeConsulAgent.AgentMode.Up;
        Assert.Single(Assert.Single((await run.CurrentAfterAsync(next)).Services).RealServers);
    }

    [Fact]
    public async Task Watch_CatalogMode_FollowsOnlyServicesWithLbTagsAndDropsGoneOnes()
    {
        await using var consul = new FakeConsulAgent();
        consul.AddInstance("rs1", "web-1", "web", "10.0.0.11", 80, [VsTag, "primary"]);
        consul.AddInstance("rs1", "db-1", "db", "10.0.0.20", 5432, ["primary"]);
        await using var run = Run(consul);

        var first = await run.NextAsync();
        Assert.Equal(Vs, Assert.Single(first.Services).Key);
        Assert.DoesNotContain(consul.Requests, r => r.Path == "/v1/health/service/db");

        consul.AddInstance("rs2", "dns-1", "dns", "10.0.0.53", 53, ["lb.vs=udp:192.168.1.254:53"], new Dictionary<string, string> { ["lb-scheduler"] = "sh" });
        var second = await run.NextAsync();
        Assert.Equal(["TCP 192.168.1.254:80", "UDP 192.168.1.254:53"], second.Services.Select(s => s.Key.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal("sh", second.Services.Single(s => s.Key.Protocol == ServiceProtocol.Udp).Scheduler);

        consul.RemoveInstance("web-1");
        var third = await run.NextAsync();
        Assert.Equal(["UDP 192.168.1.254:53"], third.Services.Select(s => s.Key.ToString()));
    }

    [Fact]
    public async Task Watch_DocumentedHealthShape_MapsAddressPortWeightsAndChecks()
    {
        // The documented /v1/health/service answer (service + serfHealth node check), given an lb.vs tag and meta.
        var entries = JsonNode.Parse(Fixture.Read("health-service-response.json"))!.AsArray();
        var service = entries[0]!["Service"]!;
        service["Tags"]!.AsArray().Add("lb.vs=tcp:10.1.10.1:6379");
        service["Meta"]!["lb-forward"] = "tunnel";
        var critical = entries.DeepClone();
        critical[0]!["Checks"]![1]!["Status"] = "critical";    // serfHealth: the node is gone

        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Json(entries.ToJsonString(), index: 100));
        using var client = ConsulClientFactory.Create(new ConsulClientOptions { Address = server.Address });
        await using var run = Run(client, o => o.Services.Add("redis"));

        var rs = Assert.Single(Assert.Single((await run.NextAsync()).Services).RealServers);
        Assert.Equal(("10.1.10.12", (ushort)8000, 10, ForwardingMethod.Tunnel), (rs.Address.ToString(), rs.Port, rs.Weight, rs.Method));

        // The critical answer only once the first snapshot is read: queued at once, the provider may publish only
        // the latest of the two (it coalesces answers that arrive before the consumer reads).
        server.Enqueue(ScriptedResponse.Json(critical.ToJsonString(), index: 101));
        Assert.Equal(new[] { 0 }, Weights(await run.NextAsync()));
        Assert.Equal(("100", "300000ms"), (server.Requests[1].QueryValue("index"), server.Requests[1].QueryValue("wait")));
    }

    [Fact]
    public async Task Watch_BadTagOnOneInstance_OthersStillPublishedAndProblemLogged()
    {
        await using var consul = new FakeConsulAgent();
        consul.AddInstance("rs1", "web-1", "web", "10.0.0.11", 80, [VsTag]);
        consul.AddInstance("rs2", "web-2", "web", "10.0.0.12", 80, ["lb.vs=tcp:not-an-ip:80"]);
        var logs = new ListLogger();
        await using var run = Run(consul, o => o.Services.Add("web"), logger: logs);

        Assert.Equal(["10.0.0.11"], Assert.Single((await run.NextAsync()).Services).RealServers.Select(r => r.Address.ToString()));
        var problem = await logs.WaitForAsync(1104);
        Assert.Contains("web/rs2/web-2", problem.Message, StringComparison.Ordinal);
        Assert.Contains("not-an-ip", problem.Message, StringComparison.Ordinal);
    }

    private static readonly SchedulerRegistry Schedulers = new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddLoadBalancing().Services.BuildServiceProvider().GetRequiredService<SchedulerRegistry>();

    private static int[] Weights(DiscoverySnapshot snapshot) => [.. Assert.Single(snapshot.Services).RealServers.Select(r => r.Weight)];

    private static async Task WaitForBlockingQueryAsync(FakeConsulAgent consul, string path)
        => await WaitUntilAsync(() => consul.Requests.Any(r => r.Path == path && r.HasQuery("index")));

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    private static ProviderRun Run(FakeConsulAgent consul, Action<ConsulDiscoveryOptions>? configure = null, TimeProvider? clock = null, ILoggerProvider? logger = null)
        => Run(ConsulClientFactory.Create(consul.ClientOptions()), configure, clock, logger, ownsClient: true);

    private static ProviderRun Run(IConsulClient client, Action<ConsulDiscoveryOptions>? configure = null, TimeProvider? clock = null, ILoggerProvider? logger = null, bool ownsClient = false)
    {
        var options = new ConsulDiscoveryOptions();
        configure?.Invoke(options);
        using var factory = LoggerFactory.Create(b => b.AddProvider(logger ?? new ListLogger()));
        var provider = new ConsulDiscoveryProvider(
            client,
            Options.Create(options),
            Schedulers,
            clock ?? TimeProvider.System,
            factory.CreateLogger<ConsulDiscoveryProvider>());
        return new ProviderRun(provider, ownsClient ? client : null);
    }

    /// <summary>One provider's snapshot stream, cancelled and drained on dispose.</summary>
    private sealed class ProviderRun : IAsyncDisposable
    {
        private readonly CancellationTokenSource _cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        private readonly IAsyncEnumerator<DiscoverySnapshot> _enumerator;
        private readonly IConsulClient? _client;
        private Task<bool>? _pending;

        public ProviderRun(IDiscoveryProvider provider, IConsulClient? client)
        {
            _client = client;
            _enumerator = provider.WatchAsync(_cts.Token).GetAsyncEnumerator(_cts.Token);
        }

        public Task<bool> MoveNextAsync() => _pending = _enumerator.MoveNextAsync().AsTask();

        public async Task<DiscoverySnapshot> NextAsync() => await CurrentAfterAsync(MoveNextAsync());

        public async Task<DiscoverySnapshot> CurrentAfterAsync(Task<bool> next)
        {
            Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(20), Ct));
            _pending = null;
            return _enumerator.Current;
        }

        public async ValueTask DisposeAsync()
        {
            if (_cts.IsCancellationRequested)
            {
                return;
            }

            await _cts.CancelAsync();
            if (_pending is not null)
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _pending);
            }

            await _enumerator.DisposeAsync();
            _client?.Dispose();
            _cts.Dispose();
        }
    }
}
