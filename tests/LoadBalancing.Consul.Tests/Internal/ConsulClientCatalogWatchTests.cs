using LoadBalancing.Consul.Tests.Fakes;
using LoadBalancing.Consul.Watch;

namespace LoadBalancing.Consul.Tests.Internal;

/// <summary>The catalog-services watch: the documented answer, blocking on the returned index, changes only, stale on errors.</summary>
public sealed class ConsulClientCatalogWatchTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private static readonly ConsulWatchOptions Unlimited = new() { RateLimitBurst = 1000, Wait = TimeSpan.FromSeconds(60), RetryBaseDelay = TimeSpan.FromMilliseconds(1), RetryMaxDelay = TimeSpan.FromMilliseconds(1) };

    [Fact]
    public async Task WatchCatalog_DocumentedAnswer_ThenChangesOnlyAndStaleKeepsTheList()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(
            ScriptedResponse.FixtureJson("catalog-services-response.json", index: 20),
            ScriptedResponse.FixtureJson("catalog-services-response.json", index: 21),  // woke up, same content: no yield
            ScriptedResponse.Error(500, "No cluster leader"),
            ScriptedResponse.Json("""{"consul":[],"web":["lb.vs=tcp:10.0.0.1:80"]}""", index: 25));
        using var client = server.CreateClient(TimeProvider.System);
        await using var watch = client.WatchCatalogServicesAsync(null, Unlimited, Ct).GetAsyncEnumerator(Ct);

        Assert.True(await watch.MoveNextAsync());
        var first = watch.Current;
        Assert.Equal(["consul", "postgresql", "redis"], first.Services.Keys);
        Assert.Equal(["primary", "secondary"], first.Services["postgresql"]);
        Assert.Equal(20UL, first.Index);

        Assert.True(await watch.MoveNextAsync());
        var stale = watch.Current;
        Assert.True(stale.IsStale);
        Assert.Equal(first.Services, stale.Services);

        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(["consul", "web"], watch.Current.Services.Keys);
        Assert.Equal(["20", "21", "21"], server.Requests.Skip(1).Select(r => r.QueryValue("index")));
        Assert.All(server.Requests, r => Assert.Equal("/v1/catalog/services", r.Path));
    }
}
