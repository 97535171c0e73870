using System.Net.Sockets;
using System.Runtime.Versioning;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.DependencyInjection;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

[SupportedOSPlatform("linux")]
public sealed class DirectRoutingForwarderTests
{
    [Fact]
    public void Constructor_WithoutInterfaceName_ThrowsNamingTheOption()
    {
        var services = new ServiceTable(SchedulerRegistry.Default);
        var ex = Assert.Throws<ArgumentException>(() => new DirectRoutingForwarder(services, new DirectRoutingOptions()));
        Assert.Contains("InterfaceName", ex.Message);
    }

    [Fact]
    public async Task StartAsync_UnknownInterface_ThrowsSocketExceptionAndCanBeDisposed()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("AF_PACKET is Linux-only");
        }

        var services = new ServiceTable(SchedulerRegistry.Default);
        await using var forwarder = new DirectRoutingForwarder(services, new DirectRoutingOptions { InterfaceName = "lbdr-none0", Workers = 2 });

        // Without CAP_NET_RAW socket() fails, with it the interface lookup does: a SocketException either way.
        await Assert.ThrowsAsync<SocketException>(() => forwarder.StartAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void AddDirectRoutingForwarder_ResolvesOneForwarderOverTheServiceTable()
    {
        var services = new ServiceCollection();
        services.AddLoadBalancing().AddDirectRoutingForwarder(o => { o.InterfaceName = "eth0"; o.Workers = 3; });
        using var provider = services.BuildServiceProvider();

        var forwarder = provider.GetRequiredService<DirectRoutingForwarder>();

        Assert.Same(forwarder, provider.GetRequiredService<DirectRoutingForwarder>());
        Assert.Equal(3, provider.GetRequiredService<DirectRoutingOptions>().Workers);
    }
}
