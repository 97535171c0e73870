using System.Net;
using System.Net.Sockets;
using LoadBalancing.Health.Outliers;
using LoadBalancing.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LoadBalancing.Health.Tests.DependencyInjection;

public sealed class HealthCheckBuilderExtensionsTests
{
    [Fact]
    public async Task AddHealthChecks_InvalidOptions_HostStartFailsNamingOption()
    {
        using var host = Build(o => o.DefaultPolicy = new HealthCheckPolicy { Fall = 0 });
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("DefaultPolicy.Rise and Fall must be at least 1.", ex.Message);
    }

    [Fact]
    public async Task AddHealthChecks_Defaults_TcpTargetPerRealServerAndRefusedServerGoesDown()
    {
        // A real TCP probe against a closed loopback port: down after one failed check (fall 1).
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }

        using var host = Build(o => o.DefaultPolicy = new HealthCheckPolicy { Fall = 1, Jitter = 0, ConnectTimeout = TimeSpan.FromSeconds(5) });
        var table = host.Services.GetRequiredService<ServiceTable>();
        table.Apply(new Model.LoadBalancerConfig
        {
            Services =
            [
                new Model.VirtualServiceConfig
                {
                    Key = Model.VirtualServiceKey.ForAddress(Model.ServiceProtocol.Tcp, Model.NetworkAddress.Parse("127.0.0.1"), 80),
                    Scheduler = "rr",
                    RealServers = [new Model.RealServerConfig { Address = Model.NetworkAddress.Parse("127.0.0.1"), Port = (ushort)port, Weight = 2 }],
                },
            ],
        });
        var checker = host.Services.GetRequiredService<HealthChecker>();
        await host.StartAsync(TestContext.Current.CancellationToken);

        HealthChange change;
        do
        {
            change = await checker.Changes.ReadAsync(TestContext.Current.CancellationToken);
        }
        while (change.State == HealthState.Up);

        Assert.Equal("tcp", change.Target.Probe.Name);
        Assert.Contains("ConnectionRefused", change.Reason);
        Assert.True(host.Services.GetRequiredService<ServiceTableHealthAdapter>().IsRemoved(table.Services[0].Destinations[0]));
        Assert.Equal(0, table.Services[0].Destinations[0].Weight);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task AddOutlierDetection_ReporterIsTheDetectorAndEjectionsReachTheTable()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLoadBalancing()
            .AddOutlierDetection(new OutlierDetectionOptions { ConsecutiveFailures = 3, MaxEjectionPercent = 50 })
            .AddHealthChecks(o => o.ProbeFactory = _ => null); // passive checks alone
        using var host = builder.Build();
        var table = host.Services.GetRequiredService<ServiceTable>();
        table.Apply(ServiceTableHealthAdapterTests.Config(("10.0.0.1", 2), ("10.0.0.2", 3)));
        await host.StartAsync(TestContext.Current.CancellationToken);

        var reporter = host.Services.GetRequiredService<IPassiveHealthReporter>();
        Assert.Same(host.Services.GetRequiredService<OutlierDetector>(), reporter);
        var bad = table.Services[0].Destinations.Single(d => d.Address.ToString() == "10.0.0.2");
        for (var i = 0; i < 3; i++)
        {
            reporter.ReportFailure(bad, PassiveFailure.Refused);
        }

        Assert.Equal(0, bad.Weight);
        Assert.Empty(host.Services.GetRequiredService<HealthChecker>().Targets);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void AddOutlierDetection_InvalidOptions_ThrowsNamingOption()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var ex = Assert.Throws<ArgumentException>(() => builder.Services.AddLoadBalancing().AddOutlierDetection(new OutlierDetectionOptions { Interval = TimeSpan.Zero }));
        Assert.Contains("Interval must be positive.", ex.Message);
    }

    [Fact]
    public async Task AddHealthChecks_InvalidDefaultQuorum_HostStartFailsNamingOption()
    {
        using var host = Build(o => o.DefaultQuorum = new QuorumPolicy { Quorum = 0 });
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("DefaultQuorum.Quorum must be at least 1.", ex.Message);
    }

    private static IHost Build(Action<HealthCheckOptions> configure)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLoadBalancing().AddHealthChecks(configure);
        return builder.Build();
    }
}
