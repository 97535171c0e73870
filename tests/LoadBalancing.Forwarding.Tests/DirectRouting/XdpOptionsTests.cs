using System.Runtime.Versioning;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

[SupportedOSPlatform("linux")] // the root test skips first elsewhere
public sealed class XdpOptionsTests
{
    [Fact]
    public void Constructor_UndefinedXdpMode_ThrowsNamingTheOption()
    {
        var ex = Assert.Throws<ArgumentException>(() => new DirectRoutingForwarder(new ServiceTable(SchedulerRegistry.Default), new DirectRoutingOptions { InterfaceName = "eth0", Xdp = (XdpMode)7 }));
        Assert.Contains("DirectRoutingOptions.Xdp must be Off, Generic, Native or Tc, not 7", ex.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16 * 1024 * 1024 + 1)]
    public void Constructor_XdpMaxFlowsOutOfRange_ThrowsNamingTheOption(int maxFlows)
    {
        var ex = Assert.Throws<ArgumentException>(() => new DirectRoutingForwarder(new ServiceTable(SchedulerRegistry.Default), new DirectRoutingOptions { InterfaceName = "eth0", XdpMaxFlows = maxFlows }));
        Assert.Contains($"XdpMaxFlows must be between 1 and 16777216, not {maxFlows}", ex.Message);
    }

    [Fact]
    public async Task StartAsync_NativeModeOnInterfaceWithoutNativeXdp_ThrowsClearErrorAndLeavesNothingAttached()
    {
        NetLab.RequireOrSkip();
        XdpTestSupport.RequireOrSkip();
        var ct = TestContext.Current.CancellationToken;
        var ns = "lbxo" + Random.Shared.Next(0x10000).ToString("x4");
        await NetLab.RunAsync(ct, "ip", "netns", "add", ns);
        try
        {
            // Loopback has no native XDP (no ndo_bpf), on every kernel.
            await NetLab.RunAsync(ct, "ip", "-n", ns, "link", "set", "lo", "up");
            var services = new ServiceTable(SchedulerRegistry.Default);
            services.Apply(new LoadBalancerConfig
            {
                Services =
                [
                    new VirtualServiceConfig
                    {
                        Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse("10.78.0.100"), 80),
                        Scheduler = SchedulerNames.RoundRobin,
                        RealServers = [new RealServerConfig { Address = NetworkAddress.Parse("10.78.0.21"), Port = 80, Weight = 1 }],
                    },
                ],
            });
            await using var forwarder = new DirectRoutingForwarder(services, new DirectRoutingOptions { InterfaceName = "lo", Workers = 1, Xdp = XdpMode.Native });

            BpfException? error = null;
            await NetLab.InNamespaceAsync(ns, async () => error = await Assert.ThrowsAsync<BpfException>(() => forwarder.StartAsync(ct)));

            Assert.Contains("Attaching the XDP fast path to lo in native mode failed", error!.Message);
            Assert.Contains("use XdpMode.Generic", error.Message);
            Assert.DoesNotContain("xdp", await NetLab.RunAsync(ct, "ip", "-n", ns, "link", "show", "lo"));
        }
        finally
        {
            await NetLab.RunAsync(CancellationToken.None, "ip", "netns", "del", ns);
        }
    }
}
