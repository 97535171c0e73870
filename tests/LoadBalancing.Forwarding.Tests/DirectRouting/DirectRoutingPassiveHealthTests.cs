using System.Collections.Concurrent;
using System.Runtime.Versioning;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Health;
using LoadBalancing.Health.Outliers;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

/// <summary>
/// Passive health for Direct Routing: the forwarder sees only the client's half of each connection, so a real
/// server that does not answer shows as SYN retransmissions. Real client, director and nginx servers in the lab's
/// namespaces (samples/LoadBalancing.Director.Host/Demo/dr-lab.sh); one server drops every SYN (an nftables rule in its own namespace).
/// Outlier timing on fake time; packets, sockets and retransmission timers real. Needs root.
/// </summary>
[SupportedOSPlatform("linux")] // NetLab.RequireOrSkip skips elsewhere before any Linux-only call
public sealed class DirectRoutingPassiveHealthTests
{
    [Fact]
    public async Task SilentServer_SynRetransmissionsEjectIt_TrafficGoesToTheOthers_ItReturnsAfterTheEjectionTime()
    {
        NetLab.RequireOrSkip();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = cts.Token;
        await using var lab = await NetLab.StartAsync(realServers: 3, ct);

        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var collection = new ServiceCollection();
        collection.AddSingleton<TimeProvider>(clock);
        collection.AddLoadBalancing()
            .AddHealthChecks(o => o.ProbeFactory = _ => null) // passive checks alone
            .AddOutlierDetection(new OutlierDetectionOptions
            {
                ConsecutiveFailures = 2,
                Interval = TimeSpan.FromSeconds(1),
                BaseEjectionTime = TimeSpan.FromSeconds(10),
                SuccessRate = null,
            })
            .AddDirectRoutingForwarder(o =>
            {
                o.InterfaceName = "eth0";
                o.Workers = 2;
                o.StartupResolutionTimeout = TimeSpan.FromSeconds(3);
            });
        await using var provider = collection.BuildServiceProvider();
        var table = provider.GetRequiredService<ServiceTable>();
        table.Apply(new LoadBalancerConfig
        {
            Services =
            [
                new VirtualServiceConfig
                {
                    Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse(NetLab.Vip), 80),
                    Scheduler = SchedulerNames.RoundRobin,
                    RealServers =
                    [
                        new RealServerConfig { Address = NetworkAddress.Parse("10.77.0.21"), Port = 80 },
                        new RealServerConfig { Address = NetworkAddress.Parse("10.77.0.22"), Port = 80 },
                        new RealServerConfig { Address = NetworkAddress.Parse("10.77.0.23"), Port = 80 },
                    ],
                },
            ],
        });
        var hosted = provider.GetServices<IHostedService>().ToList(); // the health checker applies ejections to the table
        foreach (var service in hosted)
        {
            await service.StartAsync(ct);
        }

        var detector = provider.GetRequiredService<OutlierDetector>();
        var changes = new ConcurrentQueue<OutlierChange>();
        detector.Changed += (_, e) => changes.Enqueue(e);
        var forwarder = provider.GetRequiredService<DirectRoutingForwarder>();
        await NetLab.InNamespaceAsync(lab.DirectorNamespace, () => forwarder.StartAsync(ct));

        var state = table.Services[0];
        var silent = state.FindDestination(NetworkAddress.Parse("10.77.0.23"), 80)!;
        await lab.ExecAsync("rs3", ct, "nft", "add table inet lbtest { chain in { type filter hook input priority 0; tcp dport 80 drop; }; }");

        // rr over rs1, rs2, rs3: each connection to rs3 sends a SYN, waits 1 s, retransmits (reported), and curl
        // gives up at 2 s. The second such failure in a row ejects rs3 at once.
        var first = await CurlAsync(lab, 6, ct);
        Assert.Equal(["FAIL", "FAIL", "rs1", "rs1", "rs2", "rs2"], first.Order());
        var ejection = Assert.Single(changes);
        Assert.True(ejection.IsEjected);
        Assert.Same(silent, ejection.Destination);
        Assert.Equal(OutlierEjectionReason.ConsecutiveFailures, ejection.Reason);
        Assert.Equal(0, silent.Weight);

        // Ejected: nothing goes to rs3, every request is served.
        var during = await CurlAsync(lab, 6, ct);
        Assert.Equal(["rs1", "rs1", "rs1", "rs2", "rs2", "rs2"], during.Order());
        Assert.Single(changes);

        // rs3 answers again; the ejection (10 s) ends at the first sweep after it, and rs3 serves its share.
        await lab.ExecAsync("rs3", ct, "nft", "delete table inet lbtest");
        for (var s = 0; s < 11; s++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.False(detector.IsEjected(silent));
        Assert.Equal(1, silent.Weight);
        var after = await CurlAsync(lab, 6, ct);
        Assert.Equal(2, after.Count(x => x == "rs3"));
        Assert.DoesNotContain("FAIL", after);

        // Answered handshakes reset the count: rs1 and rs2 were never ejected.
        Assert.Equal(2, changes.Count);
        Assert.All(changes, c => Assert.Same(silent, c.Destination));
        foreach (var service in hosted)
        {
            await service.StopAsync(ct);
        }
    }

    [Fact]
    public async Task AddDirectRoutingForwarder_WithOutlierDetection_ReportsHandshakesToTheDetector()
    {
        var collection = new ServiceCollection();
        collection.AddLoadBalancing()
            .AddDirectRoutingForwarder(o => o.InterfaceName = "eth0")
            .AddHealthChecks(o => o.ProbeFactory = _ => null)
            .AddOutlierDetection(new OutlierDetectionOptions { ConsecutiveFailures = 1, SuccessRate = null });
        await using var provider = collection.BuildServiceProvider();
        var forwarder = provider.GetRequiredService<DirectRoutingForwarder>();
        var table = provider.GetRequiredService<ServiceTable>();
        table.Apply(new LoadBalancerConfig
        {
            Services =
            [
                new VirtualServiceConfig
                {
                    Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse("10.0.0.100"), 80),
                    Scheduler = SchedulerNames.RoundRobin,
                    RealServers = [new RealServerConfig { Address = NetworkAddress.Parse("10.0.0.1"), Port = 80 }],
                },
            ],
        });
        var destination = table.Services[0].Destinations[0];

        var observer = forwarder.Connections.HandshakeObserver;
        Assert.NotNull(observer);
        observer.Retransmitted(destination);

        Assert.True(provider.GetRequiredService<OutlierDetector>().IsEjected(destination));
    }

    /// <summary>Sequential requests from the client, one connection each; "FAIL" for one that did not connect in 2 s.</summary>
    private static async Task<List<string>> CurlAsync(NetLab lab, int count, CancellationToken ct)
    {
        var output = await lab.ExecAsync("cli", ct, "bash", "-c",
            $"for i in $(seq {count}); do curl -s --connect-timeout 2 --max-time 4 http://{NetLab.Vip}/ || echo FAIL; done");
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')[0])];
    }
}
