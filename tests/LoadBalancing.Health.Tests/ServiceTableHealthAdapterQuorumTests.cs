using System.Diagnostics.Metrics;
using LoadBalancing.Health.Tests.Fakes;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Health.Tests;

/// <summary>Quorum, hysteresis and sorry server against keepalived's <c>update_quorum_state</c> rules, on a real service table.</summary>
public sealed class ServiceTableHealthAdapterQuorumTests
{
    private static readonly TimeSpan Loop = TimeSpan.FromSeconds(1);
    private static readonly HealthCheckPolicy Policy = new() { DelayLoop = Loop, Rise = 1, Fall = 1, Jitter = 0 };

    private readonly FakeTimeProvider _time = new();
    private readonly SwitchProbe _probe = new();

    [Fact]
    public async Task AllServersDown_SorryServerTakesOverAndLeavesWhenOneRecovers()
    {
        var table = Table(("10.0.0.1", 2), ("10.0.0.2", 2), ("10.0.0.9", 0));
        var quorum = new QuorumPolicy { SorryServer = Endpoint("10.0.0.9"), SorryServerWeight = 5 };
        await using var checker = new HealthChecker(timeProvider: _time);
        var logger = new CapturingLogger<ServiceTableHealthAdapter>();
        using var adapter = new ServiceTableHealthAdapter(table, checker, _ => _probe, _ => Policy, _ => quorum, logger: logger);
        var changes = Record(adapter);
        adapter.Synchronize();
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        Assert.Equal([2, 2, 0], Weights(table));
        Assert.Equal(2, checker.Targets.Count); // the sorry server is not checked
        Assert.True(adapter.IsRemoved(Server(table, "10.0.0.9")));

        _probe.Set("10.0.0.1", false);
        Tick();
        Assert.Equal([0, 2, 0], Weights(table));
        Assert.Empty(changes);

        _probe.Set("10.0.0.2", false);
        Tick();
        Assert.Equal([0, 0, 5], Weights(table));
        var lost = Assert.Single(changes);
        Assert.Equal((false, 0L, 1L, Server(table, "10.0.0.9")), (lost.HasQuorum, lost.LiveWeight, lost.Threshold, lost.SorryServer));
        Assert.False(adapter.HasQuorum(table.Services[0]));
        Assert.False(adapter.IsRemoved(Server(table, "10.0.0.9")));

        _probe.Set("10.0.0.2", true);
        Tick();
        Assert.Equal([0, 2, 0], Weights(table));
        Assert.Equal((true, 2L, 1L, (RealServerState?)null), (changes[^1].HasQuorum, changes[^1].LiveWeight, changes[^1].Threshold, changes[^1].SorryServer));
        Assert.Equal([4020, 4022, 4021, 4023], logger.Entries.Select(e => e.EventId.Id).Where(id => id is >= 4020 and <= 4029));
        var read = await ReadAll(adapter, 2);
        Assert.Equal(new[] { false, true }, read);
    }

    [Fact]
    public async Task Hysteresis_LostBelowQuorumMinusHysteresisRegainedAtQuorumPlusHysteresis()
    {
        // quorum 3, hysteresis 1: lost when the live weight drops below 2, regained when it reaches 4.
        var table = Table(("10.0.0.1", 1), ("10.0.0.2", 1), ("10.0.0.3", 1), ("10.0.0.4", 1));
        await using var checker = new HealthChecker(timeProvider: _time);
        using var adapter = new ServiceTableHealthAdapter(table, checker, _ => _probe, _ => Policy, _ => new QuorumPolicy { Quorum = 3, Hysteresis = 1 });
        var changes = Record(adapter);
        adapter.Synchronize();
        checker.Start();
        _time.Advance(TimeSpan.Zero);

        var trace = new List<(int Live, bool Quorum)>();
        foreach (var (address, up) in new[] { ("10.0.0.1", false), ("10.0.0.2", false), ("10.0.0.3", false), ("10.0.0.1", true), ("10.0.0.2", true), ("10.0.0.3", true), ("10.0.0.1", false), ("10.0.0.2", false) })
        {
            _probe.Set(address, up);
            Tick();
            trace.Add((Weights(table).Sum(), adapter.HasQuorum(table.Services[0])));
        }

        Assert.Equal([(3, true), (2, true), (1, false), (2, false), (3, false), (4, true), (3, true), (2, true)], trace);
        Assert.Equal([(false, 1L, 2L), (true, 4L, 4L)], changes.Select(c => (c.HasQuorum, c.LiveWeight, c.Threshold)));

        // Without a sorry server, losing quorum only reports: the live servers keep their weights.
        Assert.Equal(2, trace[3].Live);
    }

    [Fact]
    public async Task QuorumLost_Metrics_TransitionsAndSorryServerGauge()
    {
        var measured = new List<(string Instrument, long Value)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "LoadBalancing" && instrument.Name.StartsWith("lb.health.", StringComparison.Ordinal) && (instrument.Name.Contains("quorum") || instrument.Name.Contains("sorry")))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "service" && !((string?)tag.Value ?? "").Contains("192.168.77.1", StringComparison.Ordinal))
                {
                    return;
                }
            }

            lock (measured)
            {
                measured.Add((instrument.Name, value));
            }
        });
        listener.Start();

        var table = Table("192.168.77.1", ("10.0.0.1", 1), ("10.0.0.9", 0));
        await using var checker = new HealthChecker(timeProvider: _time);
        using var adapter = new ServiceTableHealthAdapter(table, checker, _ => _probe, _ => Policy, _ => new QuorumPolicy { SorryServer = Endpoint("10.0.0.9") });
        _probe.Set("10.0.0.1", false);
        adapter.Synchronize();
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        Assert.Equal([0, 1], Weights(table)); // sorry server at its default weight 1 (configured 0)
        Assert.Contains(("lb.health.quorum.transitions", 1L), measured);
        Assert.Contains(("lb.health.sorry_server.active", 1L), measured);
    }

    [Fact]
    public async Task SorryServerNotAmongRealServers_AddedOnQuorumLoss_KeptAcrossReload_RemovedOnQuorumRegain()
    {
        var table = Table(("10.0.0.1", 2), ("10.0.0.2", 2));
        var config = table.Config;
        var sorry = new ProbeTarget(NetworkAddress.Parse("10.0.0.99"), 8080);
        await using var checker = new HealthChecker(timeProvider: _time);
        var logger = new CapturingLogger<ServiceTableHealthAdapter>();
        using var adapter = new ServiceTableHealthAdapter(table, checker, _ => _probe, _ => Policy, _ => new QuorumPolicy { SorryServer = sorry, SorryServerWeight = 3 }, logger: logger);
        var changes = Record(adapter);
        adapter.Synchronize();
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        Assert.Equal([2, 2], Weights(table)); // not in the service while it has quorum

        _probe.Set("10.0.0.1", false);
        _probe.Set("10.0.0.2", false);
        Tick();

        // keepalived: quorum_down adds the sorry server to the service; the live servers leave (weight 0).
        Assert.Equal([0, 0, 3], Weights(table));
        var added = Server(table, "10.0.0.99");
        Assert.Equal((8080, ForwardingMethod.Masquerade), (added.Port, added.Config.Method)); // the method of the service's servers
        Assert.True(table.IsRuntimeServer(added));
        Assert.Same(config, table.Config); // not part of the configuration (not saved to the rules file)
        Assert.Same(added, Assert.Single(changes).SorryServer);
        Assert.False(adapter.IsRemoved(added));
        Assert.Equal(2, checker.Targets.Count); // not health-checked
        Assert.Same(added, table.Services[0].Schedule(default));

        // A reload of the same configuration (SIGHUP, discovery) keeps it serving.
        table.Apply(config);
        Assert.Equal([0, 0, 3], Weights(table));
        Assert.Same(added, Server(table, "10.0.0.99"));
        Assert.Single(changes);

        _probe.Set("10.0.0.2", true);
        Tick();

        // quorum_up: removed from the service again, the live server back.
        Assert.Equal([0, 2], Weights(table));
        Assert.False(added.IsAvailable);
        Assert.DoesNotContain(table.Services[0].Destinations, d => d.Port == 8080);
        Assert.True(changes[^1].HasQuorum);
        Assert.Equal([4020, 4027, 4022, 4021, 4023, 4028], logger.Entries.Select(e => e.EventId.Id).Where(id => id is >= 4020 and <= 4029));

        // And added again on the next loss (a new state: the old one is gone for good).
        _probe.Set("10.0.0.2", false);
        Tick();
        Assert.Equal([0, 0, 3], Weights(table));
        Assert.NotSame(added, Server(table, "10.0.0.99"));
    }

    [Fact]
    public async Task SorryServerNotAmongRealServers_ExplicitMethod_Used()
    {
        var table = Table(("10.0.0.1", 1));
        await using var checker = new HealthChecker(timeProvider: _time);
        using var adapter = new ServiceTableHealthAdapter(table, checker, _ => _probe, _ => Policy, _ => new QuorumPolicy { SorryServer = Endpoint("10.0.0.99"), SorryServerMethod = ForwardingMethod.Route });
        _probe.Set("10.0.0.1", false);
        adapter.Synchronize();
        checker.Start();
        _time.Advance(TimeSpan.Zero);

        Assert.Equal([0, 1], Weights(table)); // weight 1 when SorryServerWeight is not set
        Assert.Equal(ForwardingMethod.Route, Server(table, "10.0.0.99").Config.Method);
    }

    [Fact]
    public async Task SorryServerThatCannotBeAdded_LoggedAsError_QuorumStillReported()
    {
        var table = Table(("10.0.0.1", 1));
        await using var checker = new HealthChecker(timeProvider: _time);
        var logger = new CapturingLogger<ServiceTableHealthAdapter>();
        using var adapter = new ServiceTableHealthAdapter(table, checker, _ => _probe, _ => Policy, _ => new QuorumPolicy { SorryServer = new ProbeTarget(NetworkAddress.Parse("fd00::99"), 80) }, logger: logger);
        var changes = Record(adapter);
        _probe.Set("10.0.0.1", false);
        adapter.Synchronize();
        checker.Start();
        _time.Advance(TimeSpan.Zero);

        var error = Assert.Single(logger.Entries, e => e.EventId.Id == 4024);
        Assert.Contains("fd00::99", error.Message);
        Assert.Equal([0], Weights(table));
        var lost = Assert.Single(changes);
        Assert.Null(lost.SorryServer);
    }

    [Fact]
    public async Task InvalidQuorumPolicy_LoggedAndDefaultUsed()
    {
        var table = Table(("10.0.0.1", 1));
        await using var checker = new HealthChecker(timeProvider: _time);
        var logger = new CapturingLogger<ServiceTableHealthAdapter>();
        using var adapter = new ServiceTableHealthAdapter(table, checker, _ => _probe, _ => Policy, _ => new QuorumPolicy { Quorum = 2, Hysteresis = 2 }, logger: logger);
        adapter.Synchronize();
        Assert.Contains(logger.Entries, e => e.EventId.Id == 4025 && e.Message.Contains("Hysteresis"));
    }

    [Fact]
    public async Task SorryServerServing_ServerComesBackDuringHysteresis_StaysAtWeightZeroUntilQuorum()
    {
        // quorum 2, hysteresis 1: lost below 1 (all down), regained at 3.
        var table = Table(("10.0.0.1", 1), ("10.0.0.2", 1), ("10.0.0.3", 1), ("10.0.0.9", 0));
        await using var checker = new HealthChecker(timeProvider: _time);
        using var adapter = new ServiceTableHealthAdapter(table, checker, _ => _probe, _ => Policy, _ => new QuorumPolicy { Quorum = 2, Hysteresis = 1, SorryServer = Endpoint("10.0.0.9") });
        adapter.Synchronize();
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        foreach (var a in new[] { "10.0.0.1", "10.0.0.2", "10.0.0.3" })
        {
            _probe.Set(a, false);
        }

        Tick();
        Assert.Equal([0, 0, 0, 1], Weights(table));
        _probe.Set("10.0.0.1", true);
        _probe.Set("10.0.0.2", true);
        Tick();
        Assert.Equal([0, 0, 0, 1], Weights(table)); // live 2 < 3: the sorry server still serves
        Assert.True(adapter.IsRemoved(Server(table, "10.0.0.1")));
        _probe.Set("10.0.0.3", true);
        Tick();
        Assert.Equal([1, 1, 1, 0], Weights(table));
    }

    internal static ProbeTarget Endpoint(string address) => new(NetworkAddress.Parse(address), 80);

    internal static int[] Weights(ServiceTable table) => [.. table.Services[0].Destinations.OrderBy(d => d.Address.ToString(), StringComparer.Ordinal).Select(d => d.Weight)];

    internal static RealServerState Server(ServiceTable table, string address) => table.Services[0].Destinations.Single(d => d.Address.ToString() == address);

    private static ServiceTable Table(params (string Address, int Weight)[] servers) => Table("192.168.1.254", servers);

    private static ServiceTable Table(string vip, params (string Address, int Weight)[] servers)
    {
        var table = new ServiceTable(SchedulerRegistry.Default);
        table.Apply(new LoadBalancerConfig
        {
            Services =
            [
                new VirtualServiceConfig
                {
                    Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse(vip), 80),
                    Scheduler = "wrr",
                    RealServers = [.. servers.Select(s => new RealServerConfig { Address = NetworkAddress.Parse(s.Address), Port = 80, Weight = s.Weight, Method = ForwardingMethod.Masquerade })],
                },
            ],
        });
        return table;
    }

    private static List<QuorumChange> Record(ServiceTableHealthAdapter adapter)
    {
        var list = new List<QuorumChange>();
        adapter.QuorumChanged += (_, c) => list.Add(c);
        return list;
    }

    private static async Task<bool[]> ReadAll(ServiceTableHealthAdapter adapter, int count)
    {
        var result = new bool[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = (await adapter.QuorumChanges.ReadAsync(TestContext.Current.CancellationToken)).HasQuorum;
        }

        return result;
    }

    private void Tick() => _time.Advance(Loop);
}
