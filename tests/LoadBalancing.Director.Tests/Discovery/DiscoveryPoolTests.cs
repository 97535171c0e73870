using LoadBalancing.Director.Discovery;
using LoadBalancing.Model;

namespace LoadBalancing.Director.Tests.Discovery;

public sealed class DiscoveryPoolTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-30T05:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly HashSet<string> Schedulers = ["wlc", "rr", "wrr", "sh"];

    private static DiscoveredInstance Instance(string id, string address, InstanceHealth health = InstanceHealth.Passing, int passing = 1, int warning = 1, string tag = "lb.vs=tcp:10.0.0.1:80", Dictionary<string, string>? meta = null) => new()
    {
        ServiceName = "web", InstanceId = id, Address = address, Port = 80, Tags = [tag], Health = health, PassingWeight = passing, WarningWeight = warning,
        Meta = meta ?? [],
    };

    [Fact]
    public void Build_HealthMapsToWeights_CriticalQuiescedUntilGraceThenRemoved()
    {
        var pool = new DiscoveryPool(TimeSpan.FromSeconds(30), Schedulers);
        pool.SetInstances("web", [Instance("a", "10.0.0.11", passing: 5), Instance("b", "10.0.0.12", InstanceHealth.Warning, warning: 2), Instance("c", "10.0.0.13", InstanceHealth.Critical, passing: 9)], T0);

        var now = pool.Build(T0);
        Assert.Equal([5, 2, 0], Assert.Single(now.Services).RealServers.Select(r => r.Weight));
        Assert.Equal(T0.AddSeconds(30), now.NextExpiry);

        // Still critical later: its grace runs from when it first turned critical, not from the last update.
        pool.SetInstances("web", [Instance("a", "10.0.0.11", passing: 5), Instance("b", "10.0.0.12", InstanceHealth.Warning, warning: 2), Instance("c", "10.0.0.13", InstanceHealth.Maintenance)], T0.AddSeconds(10));
        Assert.Equal(3, Assert.Single(pool.Build(T0.AddSeconds(30).AddTicks(-1)).Services).RealServers.Length);
        var later = pool.Build(T0.AddSeconds(30));
        Assert.Equal(["10.0.0.11", "10.0.0.12"], Assert.Single(later.Services).RealServers.Select(r => r.Address.ToString()));
        Assert.Null(later.NextExpiry);
    }

    [Fact]
    public void Build_InstanceGone_RemovedAtOnce()
    {
        var pool = new DiscoveryPool(TimeSpan.FromMinutes(5));
        pool.SetInstances("web", [Instance("a", "10.0.0.11"), Instance("b", "10.0.0.12", InstanceHealth.Critical)], T0);
        pool.SetInstances("web", [Instance("a", "10.0.0.11")], T0);

        Assert.Single(Assert.Single(pool.Build(T0).Services).RealServers);
        Assert.True(pool.RemoveSource("web"));
        Assert.Empty(pool.Build(T0).Services);
    }

    [Fact]
    public void Build_InfiniteGrace_CriticalStaysQuiesced()
    {
        var pool = new DiscoveryPool(Timeout.InfiniteTimeSpan);
        pool.SetInstances("registry", [Instance("a", "10.0.0.11", InstanceHealth.Critical)], T0);

        var result = pool.Build(T0.AddDays(1));

        Assert.Equal(0, Assert.Single(Assert.Single(result.Services).RealServers).Weight);
        Assert.Null(result.NextExpiry);
    }

    [Fact]
    public void Build_SameRealServerTwice_OneDestinationWithTheBetterWeight()
    {
        var pool = new DiscoveryPool(TimeSpan.FromSeconds(30));
        pool.SetInstances("web", [Instance("node1/a", "10.0.0.11", InstanceHealth.Critical), Instance("node2/a", "10.0.0.11", passing: 4)], T0);

        Assert.Equal(4, Assert.Single(Assert.Single(pool.Build(T0).Services).RealServers).Weight);
    }

    [Fact]
    public void Build_BadInstances_LeftOutWithReasonsOthersKept()
    {
        var pool = new DiscoveryPool(TimeSpan.FromSeconds(30), Schedulers);
        pool.SetInstances("web",
        [
            Instance("ok", "10.0.0.11", meta: new() { ["lb-scheduler"] = "nosuch" }),
            Instance("v6", "2001:db8::5"),
            Instance("badaddr", "node.example"),
            Instance("badfwd", "10.0.0.14", meta: new() { ["lb-forward"] = "smoke" }),
            Instance("badtag", "10.0.0.15", tag: "lb.vs=tcp:10.0.0.1"),
        ], T0);

        var result = pool.Build(T0);

        var service = Assert.Single(result.Services);
        Assert.Equal("wlc", service.Scheduler);
        Assert.Equal(["10.0.0.11"], service.RealServers.Select(r => r.Address.ToString()));
        Assert.Equal(5, result.Problems.Length);
        Assert.Contains(result.Problems, p => p.Contains("web/v6", StringComparison.Ordinal) && p.Contains("address family", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Contains("web/badaddr", StringComparison.Ordinal) && p.Contains("not an IP address", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Contains("web/badfwd", StringComparison.Ordinal) && p.Contains("lb-forward='smoke'", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Contains("web/badtag", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Contains("lb-scheduler='nosuch'", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_SchedulerFromMeta_FirstInstanceByIdWins()
    {
        var pool = new DiscoveryPool(TimeSpan.FromSeconds(30), Schedulers);
        pool.SetInstances("web", [Instance("b", "10.0.0.12", meta: new() { ["lb-scheduler"] = "sh" }), Instance("a", "10.0.0.11", meta: new() { ["lb-scheduler"] = "rr" })], T0);

        Assert.Equal("rr", Assert.Single(pool.Build(T0).Services).Scheduler);
    }
}
