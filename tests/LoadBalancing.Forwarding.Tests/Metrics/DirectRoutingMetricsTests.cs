using System.Diagnostics.Metrics;
using LoadBalancing.Connections;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Forwarding.Tests.DirectRouting;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Forwarding.Tests.Metrics;

/// <summary>The <c>lb.dr.*</c> instruments <c>AddDirectRoutingForwarder</c> registers, observed from the forwarder's statistics.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // the constructor skips elsewhere before any Linux-only call
public sealed class DirectRoutingMetricsTests : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly DirectRoutingForwarder _forwarder;
    private readonly IMeterFactory _meters;

    public DirectRoutingMetricsTests()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the Direct-Routing forwarder is Linux only");
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddLoadBalancing().AddDirectRoutingForwarder(o => o.InterfaceName = "lo");
        _provider = services.BuildServiceProvider();
        _meters = _provider.GetRequiredService<IMeterFactory>();
        _forwarder = _provider.GetRequiredService<DirectRoutingForwarder>(); // not started: no socket, no privilege
    }

    [Fact]
    public void Frames_OneSeriesPerVerdict_SnakeCaseTagsWithTheStatisticsCounts()
    {
        using var frames = MetricsReader.Collect(_meters, "lb.dr.frames");
        var statistics = _forwarder.Statistics;
        for (var i = 0; i < 3; i++)
        {
            statistics.Count(DirectRoutingVerdict.Malformed);
        }

        statistics.Count(DirectRoutingVerdict.Forward);
        statistics.Count(DirectRoutingVerdict.Forward);
        statistics.Count(DirectRoutingVerdict.NotForDirector);
        statistics.Count(DirectRoutingVerdict.NoNeighbour);

        var values = MetricsReader.ByTag(frames, "lb.verdict");

        Assert.Equal(
            ["drop", "forward", "fragment", "malformed", "no_destination", "no_neighbour", "no_service", "not_for_director", "not_ip", "not_scheduled", "relay_icmp", "unsupported_method", "unsupported_protocol"],
            values.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3, values["malformed"]);
        Assert.Equal(2, values["forward"]);
        Assert.Equal(1, values["not_for_director"]);
        Assert.Equal(1, values["no_neighbour"]);
        Assert.Equal(0, values["fragment"]);
        Assert.Equal(statistics.Received, values.Values.Sum());
        Assert.Equal("{frame}", frames.Instrument!.Unit);
        Assert.IsType<ObservableCounter<long>>(frames.Instrument);
    }

    [Fact]
    public void Counters_ReportSendErrorsKernelDropsAndTheFastPath()
    {
        var statistics = _forwarder.Statistics;
        statistics.CountSendErrors(4);
        statistics.CountSendError();
        statistics.CountKernelDrops(7);
        statistics.CountFastPath(10, 1500);
        statistics.CountFastPath(2, 120);
        statistics.CountFastPathFlow();
        statistics.CountFastPathFlow();
        statistics.CountFastPathFlow();
        statistics.CountFastPathWithdrawn();
        statistics.CountFastPathError();
        statistics.CountKernelScheduled();
        statistics.CountKernelScheduled();
        statistics.CountKernelReused();

        Assert.Equal(5, Read("lb.dr.send_errors", "{frame}"));
        Assert.Equal(7, Read("lb.dr.kernel_drops", "{frame}"));
        Assert.Equal(12, Read("lb.dr.fast_path.packets", "{packet}"));
        Assert.Equal(1620, Read("lb.dr.fast_path.bytes", "By"));
        Assert.Equal(2, Read("lb.dr.fast_path.flows", "{flow}"));
        Assert.Equal(3, Read("lb.dr.fast_path.handovers", "{flow}"));
        Assert.Equal(1, Read("lb.dr.fast_path.errors", "{flow}"));
        using var scheduled = MetricsReader.Collect(_meters, "lb.dr.kernel_scheduled");
        Assert.Equal(new Dictionary<string, long> { ["new"] = 2, ["reused"] = 1 }, MetricsReader.ByTag(scheduled, "lb.reuse"));

        // Observable: the next collection sees what was counted since.
        statistics.CountFastPathWithdrawn();
        statistics.CountKernelDrops(1);
        Assert.Equal(1, Read("lb.dr.fast_path.flows", "{flow}"));
        Assert.Equal(8, Read("lb.dr.kernel_drops", "{frame}"));
    }

    /// <summary>Real frames through the engine on the forwarder's statistics (as the forwarder's workers run them).</summary>
    [Fact]
    public void Frames_RealFramesThroughTheEngine_CountedByVerdict()
    {
        var clock = new FakeTimeProvider();
        var table = new ServiceTable(SchedulerRegistry.Default, clock);
        table.Apply(new LoadBalancerConfig
        {
            Services =
            [
                new VirtualServiceConfig
                {
                    Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse("10.77.0.100"), 80),
                    Scheduler = SchedulerNames.RoundRobin,
                    RealServers = [new RealServerConfig { Address = NetworkAddress.Parse("10.77.0.21"), Port = 80 }],
                },
            ],
        });
        using var neighbours = new NeighbourCache();
        var engine = new DirectRoutingEngine(table, new ConnectionTable(clock), neighbours, MacAddress.Parse("02:77:00:00:00:02"), _forwarder.Statistics);
        using var frames = MetricsReader.Collect(_meters, "lb.dr.frames");

        Assert.Equal(DirectRoutingVerdict.NoNeighbour, engine.Process(new FrameBuilder().Build()));
        neighbours.Set(NetworkAddress.Parse("10.77.0.21"), MacAddress.Parse("02:77:00:00:00:15"));
        Assert.Equal(DirectRoutingVerdict.Forward, engine.Process(new FrameBuilder().Tcp(40001, 80).Build()));
        var broken = new FrameBuilder().Payload("abcd").Build();
        broken[14] = 0x65; // IP version 6 under EtherType IPv4
        Assert.Equal(DirectRoutingVerdict.Malformed, engine.Process(broken));
        Assert.Equal(DirectRoutingVerdict.Fragment, engine.Process(new FrameBuilder().Udp(5353, 53).Fragment(0x2000).Build()));
        Assert.Equal(DirectRoutingVerdict.NotForDirector, engine.Process(new FrameBuilder().Ethernet("02:77:00:00:00:99", "02:77:00:00:00:0a").Build()));

        var values = MetricsReader.ByTag(frames, "lb.verdict");
        Assert.Equal(1, values["no_neighbour"]);
        Assert.Equal(1, values["forward"]);
        Assert.Equal(1, values["malformed"]);
        Assert.Equal(1, values["fragment"]);
        Assert.Equal(1, values["not_for_director"]);
        Assert.Equal(5, values.Values.Sum());
    }

    [Fact]
    public async Task AddDirectRoutingForwarder_WithoutMeterFactory_NoInstrumentOutsideAFactory()
    {
        var services = new ServiceCollection();
        services.AddLoadBalancing().AddDirectRoutingForwarder(o => o.InterfaceName = "lo");
        await using var provider = services.BuildServiceProvider();
        using var listener = new MeterListener();
        var published = new List<string>();
        listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Name.StartsWith("lb.dr.", StringComparison.Ordinal) && instrument.Meter.Scope is null)
            {
                published.Add(instrument.Name);
            }
        };
        listener.Start();

        Assert.NotNull(provider.GetRequiredService<DirectRoutingForwarder>());
        Assert.Empty(published);
    }

    public async ValueTask DisposeAsync()
    {
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }
    }

    private long Read(string instrument, string unit)
    {
        using var collector = MetricsReader.Collect(_meters, instrument);
        var value = MetricsReader.Single(collector);
        Assert.Equal(unit, collector.Instrument!.Unit);
        return value;
    }
}
