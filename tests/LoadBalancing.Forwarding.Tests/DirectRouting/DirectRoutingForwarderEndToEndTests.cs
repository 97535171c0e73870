using System.Runtime.Versioning;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

/// <summary>
/// The forwarder in this process, inside the lab's director namespace, between a real client and three real nginx
/// servers configured for LVS-DR (samples/LoadBalancing.Director.Host/Demo/dr-lab.sh). Needs root, iproute2, nginx, nftables, ethtool, curl.
/// </summary>
[SupportedOSPlatform("linux")] // NetLab.RequireOrSkip skips elsewhere before any Linux-only call
public sealed class DirectRoutingForwarderEndToEndTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Forwarder_WrrService_EveryServerServesInWeightProportionAndWeightZeroGetsNoNewConnections(bool useReceiveRing)
    {
        NetLab.RequireOrSkip();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;

        await using var lab = await NetLab.StartAsync(realServers: 3, ct);
        var services = new ServiceTable(SchedulerRegistry.Default);
        services.Apply(new LoadBalancerConfig
        {
            Services =
            [
                new VirtualServiceConfig
                {
                    Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse(NetLab.Vip), 80),
                    Scheduler = SchedulerNames.WeightedRoundRobin,
                    RealServers =
                    [
                        new RealServerConfig { Address = NetworkAddress.Parse("10.77.0.21"), Port = 80, Weight = 3 },
                        new RealServerConfig { Address = NetworkAddress.Parse("10.77.0.22"), Port = 80, Weight = 2 },
                        new RealServerConfig { Address = NetworkAddress.Parse("10.77.0.23"), Port = 80, Weight = 1 },
                    ],
                },
            ],
        });

        await using var forwarder = new DirectRoutingForwarder(services, new DirectRoutingOptions
        {
            InterfaceName = "eth0",
            Workers = 2,
            UseReceiveRing = useReceiveRing,
            StartupResolutionTimeout = TimeSpan.FromSeconds(3),
        });
        await NetLab.InNamespaceAsync(lab.DirectorNamespace, () => forwarder.StartAsync(ct));

        // wrr hands out whole cycles of 3+2+1: 60 connections are exactly 10 cycles.
        var split = await lab.CurlVipAsync(60, ct);
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 30, ["rs2"] = 20, ["rs3"] = 10 }, split);

        // One more whole cycle (6 connections, 3 of them to rs1), kept open; wrr is back at a cycle boundary.
        var open = new List<System.Net.Sockets.Socket>();
        for (var i = 0; i < 6; i++)
        {
            open.Add(await lab.ConnectVipFromClientAsync());
        }

        try
        {
            var servedBy = open.Select(NetLab.HttpGet).ToList();
            Assert.Equal(3, servedBy.Count(s => s == "rs1"));
            var keptOnRs1 = open[servedBy.IndexOf("rs1")];

            var rs1 = services.Services[0].FindDestination(NetworkAddress.Parse("10.77.0.21"), 80)!;
            services.SetWeight(rs1, 0);
            var quiesced = await lab.CurlVipAsync(30, ct);
            Assert.Equal(new Dictionary<string, int> { ["rs2"] = 20, ["rs3"] = 10 }, quiesced);

            // The quiesced server's established connection keeps working.
            Assert.Equal("rs1", NetLab.HttpGet(keptOnRs1));
        }
        finally
        {
            open.ForEach(s => s.Dispose());
        }

        Assert.Equal(96, services.Services[0].Statistics.Connections);
        Assert.Equal(0, forwarder.Statistics.Malformed);
        Assert.Equal(0, forwarder.Statistics.SendErrors);
        Assert.True(forwarder.Statistics.Forwarded >= 96 * 3, $"forwarded {forwarder.Statistics.Forwarded} frames");

        // The director's kernel saw the same packets only to drop them at netdev ingress (no RST, no reply).
        var ruleset = await lab.ExecAsync("dir", ct, "nft", "list", "table", "netdev", $"{lab.Prefix}_vip");
        Assert.Matches(@"counter packets [1-9]\d* bytes", ruleset);
    }

    [Theory]
    [InlineData(XdpMode.Off)]
    [InlineData(XdpMode.Tc)]
    public async Task Forwarder_IPv6WrrService_EveryServerServesInWeightProportion(XdpMode xdp)
    {
        NetLab.RequireOrSkip();
        if (xdp != XdpMode.Off)
        {
            XdpTestSupport.RequireOrSkip();
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;

        await using var lab = await NetLab.StartAsync(realServers: 3, ct);
        var services = new ServiceTable(SchedulerRegistry.Default);
        var config = new LoadBalancerConfig
        {
            Services =
            [
                new VirtualServiceConfig
                {
                    Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse(NetLab.Vip6), 80),
                    Scheduler = SchedulerNames.WeightedRoundRobin,
                    RealServers =
                    [
                        new RealServerConfig { Address = NetworkAddress.Parse("fd77::21"), Port = 80, Weight = 3 },
                        new RealServerConfig { Address = NetworkAddress.Parse("fd77::22"), Port = 80, Weight = 2 },
                        new RealServerConfig { Address = NetworkAddress.Parse("fd77::23"), Port = 80, Weight = 1 },
                    ],
                },
            ],
        };
        services.Apply(config);

        await using var forwarder = new DirectRoutingForwarder(services, new DirectRoutingOptions
        {
            InterfaceName = "eth0",
            Workers = 2,
            StartupResolutionTimeout = TimeSpan.FromSeconds(3),
            Xdp = xdp,
        });
        await NetLab.InNamespaceAsync(lab.DirectorNamespace, () => forwarder.StartAsync(ct));

        // Real servers resolved by neighbour discovery (probed over UDP/IPv6, read back over rtnetlink).
        var split = await lab.CurlVipAsync(60, ct, ipv6: true);
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 30, ["rs2"] = 20, ["rs3"] = 10 }, split);
        Assert.Equal(0, forwarder.Statistics.Malformed);
        Assert.Equal(0, forwarder.Statistics.SendErrors);
        Assert.Equal(0, await lab.DirectorTcpResetsAsync(ct));
        var counters = await lab.VipDropCountersAsync(ct);
        if (xdp == XdpMode.Tc)
        {
            // IPv6 goes through user space (the ETH_P_IPV6 sockets) only because the classifier marked it
            // PACKET_OTHERHOST: the rule let every frame on, and ipv6_rcv dropped them for the kernel.
            Assert.Equal(0, counters[1]);
        }
        else
        {
            Assert.True(counters[1] > 0, "the IPv6 VIP rule dropped nothing: the ETH_P_ALL sockets see frames before it");
        }

        // The service removed: its VIP leaves the sockets' filter and (tc) the classifier's VIP map, so the rule drops
        // its frames (no answer, no reset); added again, it is forwarded again.
        services.Apply(new LoadBalancerConfig());
        Assert.Equal(28, await lab.CurlVipExitCodeAsync(ct, ipv6: true));
        Assert.True((await lab.VipDropCountersAsync(ct))[1] > counters[1], "the IPv6 VIP rule dropped nothing for a VIP without service");
        services.Apply(config);
        Assert.Equal(0, await lab.CurlVipExitCodeAsync(ct, ipv6: true));

        // Fail-closed once stopped: no answer, not a reset.
        await forwarder.StopAsync(ct);
        Assert.Equal(28, await lab.CurlVipExitCodeAsync(ct, ipv6: true));
        Assert.Equal(0, await lab.DirectorTcpResetsAsync(ct));
    }
}
