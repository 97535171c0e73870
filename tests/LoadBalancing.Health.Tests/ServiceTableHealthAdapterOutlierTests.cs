using LoadBalancing.Health.Outliers;
using LoadBalancing.Health.Tests.Fakes;
using Microsoft.Extensions.Time.Testing;
using static LoadBalancing.Health.Tests.ServiceTableHealthAdapterQuorumTests;

namespace LoadBalancing.Health.Tests;

/// <summary>Passive ejection acts on the service table as active health does: weight 0 while ejected, back after.</summary>
public sealed class ServiceTableHealthAdapterOutlierTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Ejected_WeightZeroThenRestoredAfterEjectionTime()
    {
        var table = ServiceTableHealthAdapterTests.CreateTable(("10.0.0.1", 3), ("10.0.0.2", 4));
        await using var checker = new HealthChecker(timeProvider: _time);
        using var detector = new OutlierDetector(table, new OutlierDetectionOptions { SuccessRate = null, MaxEjectionPercent = 50, Interval = TimeSpan.FromSeconds(1), BaseEjectionTime = TimeSpan.FromSeconds(5) }, _time);
        using var adapter = new ServiceTableHealthAdapter(table, checker, _ => null, _ => new HealthCheckPolicy(), outliers: detector);
        adapter.Synchronize();
        detector.Start();
        var bad = Server(table, "10.0.0.2");
        IPassiveHealthReporter reporter = detector;
        for (var i = 0; i < 5; i++)
        {
            reporter.ReportFailure(bad, PassiveFailures.FromSocketError(System.Net.Sockets.SocketError.ConnectionRefused));
        }

        Assert.Equal([3, 0], Weights(table));
        Assert.True(adapter.IsRemoved(bad));
        for (var i = 0; i < 6; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal([3, 4], Weights(table));
        Assert.False(adapter.IsRemoved(bad));
    }

    [Fact]
    public async Task EjectedThenHealthDown_StaysZeroUntilBothClear()
    {
        var table = ServiceTableHealthAdapterTests.CreateTable(("10.0.0.1", 3), ("10.0.0.2", 4));
        await using var checker = new HealthChecker(timeProvider: _time);
        var probe = new SwitchProbe();
        using var detector = new OutlierDetector(table, new OutlierDetectionOptions { SuccessRate = null, MaxEjectionPercent = 50, Interval = TimeSpan.FromSeconds(1), BaseEjectionTime = TimeSpan.FromSeconds(3) }, _time);
        using var adapter = new ServiceTableHealthAdapter(table, checker, _ => probe, _ => new HealthCheckPolicy { DelayLoop = TimeSpan.FromSeconds(1), Rise = 1, Fall = 1, Jitter = 0 }, outliers: detector);
        adapter.Synchronize();
        checker.Start();
        detector.Start();
        _time.Advance(TimeSpan.Zero);
        var bad = Server(table, "10.0.0.2");
        for (var i = 0; i < 5; i++)
        {
            detector.ReportFailure(bad, PassiveFailure.Timeout);
        }

        probe.Set("10.0.0.2", false);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([3, 0], Weights(table));
        for (var i = 0; i < 5; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.False(detector.IsEjected(bad));
        Assert.Equal([3, 0], Weights(table)); // still down by its health checks
        probe.Set("10.0.0.2", true);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([3, 4], Weights(table));
    }

    [Fact]
    public async Task OnlyServerEjected_QuorumLost()
    {
        var table = ServiceTableHealthAdapterTests.CreateTable(("10.0.0.1", 3));
        await using var checker = new HealthChecker(timeProvider: _time);
        using var detector = new OutlierDetector(table, new OutlierDetectionOptions { SuccessRate = null }, _time);
        using var adapter = new ServiceTableHealthAdapter(table, checker, _ => null, _ => new HealthCheckPolicy(), outliers: detector);
        adapter.Synchronize();
        for (var i = 0; i < 5; i++)
        {
            detector.ReportFailure(table.Services[0].Destinations[0], PassiveFailure.Reset);
        }

        Assert.False(adapter.HasQuorum(table.Services[0]));
    }

    [Fact]
    public async Task Ejected_ConfiguredWeightChanged_StaysEjectedThenGetsNewWeight()
    {
        var table = ServiceTableHealthAdapterTests.CreateTable(("10.0.0.1", 3), ("10.0.0.2", 4));
        await using var checker = new HealthChecker(timeProvider: _time);
        using var detector = new OutlierDetector(table, new OutlierDetectionOptions { SuccessRate = null, MaxEjectionPercent = 50, Interval = TimeSpan.FromSeconds(1), BaseEjectionTime = TimeSpan.FromSeconds(3) }, _time);
        using var adapter = new ServiceTableHealthAdapter(table, checker, _ => null, _ => new HealthCheckPolicy(), outliers: detector);
        adapter.Synchronize();
        detector.Start();
        for (var i = 0; i < 5; i++)
        {
            detector.ReportFailure(Server(table, "10.0.0.2"), PassiveFailure.Refused);
        }

        table.Apply(ServiceTableHealthAdapterTests.Config(("10.0.0.1", 3), ("10.0.0.2", 7)));
        Assert.Equal([3, 0], Weights(table));
        for (var i = 0; i < 4; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal([3, 7], Weights(table));
    }
}
