using System.Text;
using LoadBalancing.Consul.Model;
using LoadBalancing.Consul.Watch;

namespace LoadBalancing.Consul.Tests.Live;

/// <summary>
/// The contract scenarios against a real Consul agent. Opt-in: they run when CONSUL_HTTP_ADDR is set and are
/// skipped with that reason otherwise; tests/run-all.sh excludes <c>Category=Live</c> when the variable is unset
/// so CI does not count them as skipped.
/// </summary>
[Trait(LiveConsul.Category, LiveConsul.Live)]
public sealed class LiveConsulTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Agent_RegisterTtlPassMaintenanceDeregister_RoundTrips()
    {
        using var client = LiveConsul.CreateClientOrSkip();
        await LiveConsul.WaitForLeaderAsync(client, Ct);
        var name = LiveConsul.UniqueName("lb-live");
        var id = name + "-10.0.0.5-80";
        var checkId = id + ":ttl";
        try
        {
            await client.RegisterServiceAsync(new ServiceRegistration
            {
                Id = id,
                Name = name,
                Address = "10.0.0.5",
                Port = 80,
                Tags = ["vs-web"],
                Meta = new Dictionary<string, string> { ["vip"] = "192.168.1.254" },
                Weights = new ServiceWeights { Passing = 5, Warning = 1 },
                Check = new CheckDefinition { CheckId = checkId, Name = "ttl", Ttl = TimeSpan.FromSeconds(30), DeregisterCriticalServiceAfter = TimeSpan.FromMinutes(1) },
            }, cancellationToken: Ct);

            var registered = (await client.GetAgentServicesAsync(Ct))[id];
            Assert.Equal((name, "10.0.0.5", 80), (registered.Service, registered.Address, registered.Port));
            Assert.Equal(new ServiceWeights { Passing = 5, Warning = 1 }, registered.Weights);

            // New checks start critical.
            var critical = Assert.Single((await client.GetServiceHealthAsync(name, cancellationToken: Ct)).Value);
            Assert.Equal(HealthStatus.Critical, critical.AggregateStatus());

            await client.ReportTtlAsync(checkId, HealthStatus.Passing, "ok", Ct);
            var passing = await client.GetServiceHealthAsync(name, new HealthServiceQuery { PassingOnly = true, Tags = ["vs-web"] }, cancellationToken: Ct);
            var entry = Assert.Single(passing.Value);
            Assert.Equal(5, entry.EffectiveWeight());
            Assert.True(passing.Meta.LastIndex > 0);

            await client.UpdateTtlAsync(checkId, HealthStatus.Warning, "slow", Ct);
            Assert.Equal(1, Assert.Single((await client.GetServiceHealthAsync(name, cancellationToken: Ct)).Value).EffectiveWeight());

            await client.SetServiceMaintenanceAsync(id, true, "drain", Ct);
            Assert.Equal(HealthStatus.Maintenance, Assert.Single((await client.GetServiceHealthAsync(name, cancellationToken: Ct)).Value).AggregateStatus());
            await client.SetServiceMaintenanceAsync(id, false, cancellationToken: Ct);
        }
        finally
        {
            await client.DeregisterServiceAsync(id, CancellationToken.None);
        }

        Assert.False(await client.DeregisterServiceAsync(id, Ct));
        var e = await Assert.ThrowsAsync<ConsulException>(() => client.ReportTtlAsync(checkId, HealthStatus.Passing, cancellationToken: Ct));
        Assert.True(e.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.InternalServerError, e.Message);
    }

    [Fact]
    public async Task Health_BlockingQueryAndWatch_SeeARegistrationWithAHigherIndex()
    {
        using var client = LiveConsul.CreateClientOrSkip();
        await LiveConsul.WaitForLeaderAsync(client, Ct);
        var name = LiveConsul.UniqueName("lb-watch");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        await using var watch = client.WatchServiceHealthAsync(name, null, new ConsulWatchOptions { Wait = TimeSpan.FromSeconds(10) }, cts.Token).GetAsyncEnumerator(cts.Token);
        try
        {
            Assert.True(await watch.MoveNextAsync());
            Assert.Empty(watch.Current.Entries);
            var before = watch.Current.Index;

            await client.RegisterServiceAsync(new ServiceRegistration { Id = name + "-1", Name = name, Port = 80 }, cancellationToken: Ct);

            Assert.True(await watch.MoveNextAsync());
            Assert.False(watch.Current.IsStale);
            Assert.Equal(name + "-1", Assert.Single(watch.Current.Entries).Service.Id);
            Assert.True(watch.Current.Index > before);
        }
        finally
        {
            await client.DeregisterServiceAsync(name + "-1", CancellationToken.None);
        }
    }

    [Fact]
    public async Task Catalog_Services_ListsConsulItself()
    {
        using var client = LiveConsul.CreateClientOrSkip();
        await LiveConsul.WaitForLeaderAsync(client, Ct);

        var services = await client.GetCatalogServicesAsync(cancellationToken: Ct);

        Assert.Contains("consul", services.Value.Keys);
        Assert.True(services.Meta.LastIndex > 0);
    }

    [Fact]
    public async Task SessionAndKv_AcquireContendReleaseDestroy_BehaveAsDocumented()
    {
        using var client = LiveConsul.CreateClientOrSkip();
        await LiveConsul.WaitForLeaderAsync(client, Ct);
        var key = "loadbalancing-live/" + LiveConsul.UniqueName("leader");
        var a = await client.CreateSessionAsync(new SessionRequest { Name = "director-a", Ttl = TimeSpan.FromSeconds(10), Behavior = SessionBehavior.Release, LockDelay = TimeSpan.Zero }, Ct);
        var b = await client.CreateSessionAsync(new SessionRequest { Name = "director-b", Ttl = TimeSpan.FromSeconds(10), NodeChecks = [] }, Ct);
        try
        {
            var renewed = await client.RenewSessionAsync(a, Ct);
            Assert.NotNull(renewed);
            Assert.True(renewed.Ttl >= TimeSpan.FromSeconds(10));

            Assert.True(await client.PutKeyAsync(key, Encoding.UTF8.GetBytes("a"), new KVWriteOptions { Acquire = a }, Ct));
            Assert.False(await client.PutKeyAsync(key, Encoding.UTF8.GetBytes("b"), new KVWriteOptions { Acquire = b }, Ct));

            var held = await client.GetKeyAsync(key, cancellationToken: Ct);
            Assert.Equal(a, held.Value!.Session);
            Assert.Equal("a", Encoding.UTF8.GetString(held.Value.Value!));
            Assert.True(held.Value.LockIndex >= 1);

            Assert.True(await client.PutKeyAsync(key, default, new KVWriteOptions { Release = a }, Ct));
            var released = await client.GetKeyAsync(key, new QueryOptions { Index = held.Meta.LastIndex, Wait = TimeSpan.FromSeconds(5) }, Ct);
            Assert.Null(released.Value!.Session);

            Assert.False(await client.PutKeyAsync(key, "x"u8.ToArray(), new KVWriteOptions { Cas = 0 }, Ct));
            Assert.True(await client.PutKeyAsync(key, "x"u8.ToArray(), new KVWriteOptions { Cas = released.Value.ModifyIndex }, Ct));
        }
        finally
        {
            Assert.True(await client.DestroySessionAsync(a, CancellationToken.None));
            Assert.True(await client.DestroySessionAsync(b, CancellationToken.None));
        }

        Assert.Null(await client.RenewSessionAsync(a, Ct));
        Assert.Null((await client.GetKeyAsync(key + "-missing", cancellationToken: Ct)).Value);
    }
}
