using LoadBalancing.Health.Tests.Fakes;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Health.Tests;

public sealed class ServiceTableHealthAdapterTests
{
    private readonly FakeTimeProvider _time = new();

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task Synchronize_ServerFails_WeightZeroInTableAndRemovedUnlessInhibited(bool inhibit, bool removed)
    {
        var table = CreateTable(("10.0.0.1", 3), ("10.0.0.2", 5));
        await using var checker = new HealthChecker(timeProvider: _time);
        var policy = new HealthCheckPolicy { Rise = 1, Fall = 1, Jitter = 0, InhibitOnFailure = inhibit };
        using var adapter = new ServiceTableHealthAdapter(table, checker, d => ScriptedProbe.Always(d.Address.ToString() != "10.0.0.2"), _ => policy);
        adapter.Synchronize();
        checker.Start();
        _time.Advance(TimeSpan.Zero);

        var service = Assert.Single(table.Services);
        var (good, bad) = (service.Destinations.Single(d => d.Address.ToString() == "10.0.0.1"), service.Destinations.Single(d => d.Address.ToString() == "10.0.0.2"));
        Assert.Equal((3, false), (good.Weight, adapter.IsRemoved(good)));
        Assert.Equal((0, removed), (bad.Weight, adapter.IsRemoved(bad)));
        Assert.Equal(2, checker.Targets.Count);
    }

    [Fact]
    public async Task Synchronize_ServerRecovers_ConfiguredWeightRestored()
    {
        var table = CreateTable(("10.0.0.1", 4));
        await using var checker = new HealthChecker(timeProvider: _time);
        var probe = new ScriptedProbe(n => n == 0 ? ProbeResult.Down("x") : ProbeResult.Up());
        using var adapter = new ServiceTableHealthAdapter(table, checker, _ => probe, _ => new HealthCheckPolicy { Rise = 1, Fall = 1, Jitter = 0, DelayLoop = TimeSpan.FromSeconds(1) });
        adapter.Synchronize();
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        var dest = table.Services[0].Destinations[0];
        Assert.Equal(0, dest.Weight);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal((4, false), (dest.Weight, adapter.IsRemoved(dest)));
    }

    [Fact]
    public async Task TableApply_ServerAddedAndRemoved_TargetsFollow()
    {
        var table = CreateTable(("10.0.0.1", 1));
        await using var checker = new HealthChecker(timeProvider: _time);
        using var adapter = new ServiceTableHealthAdapter(table, checker, _ => ScriptedProbe.Always(true), _ => new HealthCheckPolicy());
        adapter.Synchronize();
        table.Apply(Config(("10.0.0.2", 1), ("10.0.0.3", 1)));
        Assert.Equal(["TCP 192.168.1.254:80 -> 10.0.0.2:80", "TCP 192.168.1.254:80 -> 10.0.0.3:80"], checker.Targets.Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    internal static ServiceTable CreateTable(params (string Address, int Weight)[] servers)
    {
        var table = new ServiceTable(SchedulerRegistry.Default);
        table.Apply(Config(servers));
        return table;
    }

    internal static LoadBalancerConfig Config(params (string Address, int Weight)[] servers) => new()
    {
        Services =
        [
            new VirtualServiceConfig
            {
                Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse("192.168.1.254"), 80),
                Scheduler = "rr",
                RealServers = [.. servers.Select(s => new RealServerConfig { Address = NetworkAddress.Parse(s.Address), Port = 80, Weight = s.Weight })],
            },
        ],
    };
}
