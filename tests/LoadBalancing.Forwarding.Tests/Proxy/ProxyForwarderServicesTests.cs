using System.Net;
using LoadBalancing.Connections;
using LoadBalancing.Forwarding.Proxy;
using LoadBalancing.Forwarding.Tests.Proxy.Fakes;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.DependencyInjection;

namespace LoadBalancing.Forwarding.Tests.Proxy;

/// <summary>Which services the proxy listens for, and its DI registration.</summary>
public sealed class ProxyForwarderServicesTests
{
    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Start_FirewallMarkAndPortZeroServices_LoggedAsUnsupportedOthersListen(ProxyEngine engine)
    {
        var logger = new ListLogger<ProxyForwarder>();
        await using var harness = new ProxyHarness(engine, logger: logger);
        var port = ProxyHarness.FreePort();
        var backend = new IPEndPoint(IPAddress.Parse("127.0.0.2"), 8080);
        var tcp = ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(backend));
        var mark = new VirtualServiceConfig
        {
            Key = VirtualServiceKey.ForFirewallMark(7),
            RealServers = [ProxyHarness.Server(backend)],
        };
        var allPorts = ProxyHarness.Service(ServiceProtocol.Tcp, 0, SchedulerNames.RoundRobin, ProxyHarness.Server(backend)) with
        {
            PersistenceTimeout = TimeSpan.FromSeconds(60),
        };
        harness.Apply(tcp, mark, allPorts);

        harness.Forwarder.Start();

        Assert.Equal([tcp.Key], harness.Forwarder.ListeningServices);
        var unsupported = logger.Entries.Where(e => e.Id.Id == 1003).ToList();
        Assert.Equal(2, unsupported.Count);
        Assert.Contains(unsupported, e => e.Message.Contains("FWM 7", StringComparison.Ordinal) && e.Message.Contains("firewall-mark", StringComparison.Ordinal));
        Assert.All(unsupported, e => Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, e.Level));

        // Reported once, not again on every change.
        harness.Services.SetWeight(harness.Services.Services[0].Destinations[0], 2);
        Assert.Equal(2, logger.Entries.Count(e => e.Id.Id == 1003));
    }

    [Theory]
    [MemberData(nameof(ProxyEngines.All), MemberType = typeof(ProxyEngines))]
    public async Task Start_PortTaken_LoggedAndRetriedOnNextChange(ProxyEngine engine)
    {
        var logger = new ListLogger<ProxyForwarder>();
        await using var harness = new ProxyHarness(engine, logger: logger);
        var blocker = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = (ushort)((IPEndPoint)blocker.LocalEndpoint).Port;
        var service = ProxyHarness.Service(ServiceProtocol.Tcp, port, SchedulerNames.RoundRobin, ProxyHarness.Server(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 8080)));

        harness.Start(service);
        Assert.Empty(harness.Forwarder.ListeningServices);
        Assert.Contains(logger.Entries, e => e.Id.Id == 1002);

        blocker.Stop();
        harness.Apply(service with { Scheduler = SchedulerNames.WeightedRoundRobin });
        Assert.Equal([service.Key], harness.Forwarder.ListeningServices);
    }

    [Fact]
    public async Task AddProxyForwarder_Resolves_SharingTheConnectionTable()
    {
        var options = new ProxyForwarderOptions { MaxConnectionsPerService = 10 };
        var services = new ServiceCollection();
        services.AddLoadBalancing().AddProxyForwarder(options);
        await using var provider = services.BuildServiceProvider();

        var forwarder = provider.GetRequiredService<ProxyForwarder>();

        Assert.Same(options, forwarder.Options);
        Assert.Same(forwarder, provider.GetRequiredService<ProxyForwarder>());
        Assert.NotNull(provider.GetRequiredService<ConnectionTable>());
        Assert.NotNull(provider.GetRequiredService<ServiceTable>());
        Assert.False(forwarder.IsRunning);
    }

    [Fact]
    public void AddProxyForwarder_InvalidOptions_ThrowsNamingTheOption()
    {
        var services = new ServiceCollection();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => services.AddLoadBalancing().AddProxyForwarder(new ProxyForwarderOptions { BufferSize = 1 }));
        Assert.Equal(nameof(ProxyForwarderOptions.BufferSize), error.ParamName);
    }
}
