using LoadBalancing.Consul;
using LoadBalancing.Consul.Model;
using LoadBalancing.Director.Consul.Internal;
using LoadBalancing.Director.Discovery;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LoadBalancing.Director.Consul.Tests.Live;

/// <summary>The discovery provider against a real Consul agent (<c>consul agent -dev</c>, CONSUL_HTTP_ADDR); opt-in.</summary>
[Trait("Category", "Live")]
public sealed class LiveConsulDiscoveryTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Live_TtlInstance_AppearsQuiescedWhenFailedGoneWhenDeregistered()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CONSUL_HTTP_ADDR")))
        {
            Assert.Skip("CONSUL_HTTP_ADDR is not set: start `consul agent -dev` and set CONSUL_HTTP_ADDR=127.0.0.1:8500 to run the live Consul suite.");
        }

        using var client = ConsulClientFactory.Create(ConsulClientOptions.FromEnvironment());
        var name = $"lbtest-{Guid.NewGuid():N}"[..20];
        var id = name + "-1";
        await client.RegisterServiceAsync(new ServiceRegistration
        {
            Id = id, Name = name, Address = "10.0.0.11", Port = 80, Tags = ["lb.vs=tcp:192.168.1.254:80"], Weights = new ServiceWeights { Passing = 6, Warning = 1 },
            Check = new CheckDefinition { CheckId = id + ":ttl", Ttl = TimeSpan.FromMinutes(5), Status = "passing", DeregisterCriticalServiceAfter = TimeSpan.FromMinutes(1) },
        }, cancellationToken: Ct);
        try
        {
            var options = new ConsulDiscoveryOptions { Wait = TimeSpan.FromSeconds(30) };
            options.Services.Add(name);
            var schedulers = new ServiceCollection().AddLoadBalancing().Services.BuildServiceProvider().GetRequiredService<SchedulerRegistry>();
            var provider = new ConsulDiscoveryProvider(client, Options.Create(options), schedulers, TimeProvider.System, NullLogger<ConsulDiscoveryProvider>.Instance);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            cts.CancelAfter(TimeSpan.FromSeconds(60));
            await using var snapshots = provider.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);

            Assert.True(await snapshots.MoveNextAsync());
            Assert.Equal(6, Assert.Single(Assert.Single(snapshots.Current.Services).RealServers).Weight);

            await client.UpdateTtlAsync(id + ":ttl", HealthStatus.Critical, "live test", Ct);
            Assert.True(await snapshots.MoveNextAsync());
            Assert.Equal(0, Assert.Single(Assert.Single(snapshots.Current.Services).RealServers).Weight);

            await client.DeregisterServiceAsync(id, Ct);
            Assert.True(await snapshots.MoveNextAsync());
            Assert.Empty(snapshots.Current.Services);
            await cts.CancelAsync();
        }
        finally
        {
            await client.DeregisterServiceAsync(id, CancellationToken.None);
        }
    }
}
