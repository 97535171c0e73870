using LoadBalancing.Consul.Model;
using LoadBalancing.Consul.Tests.Fakes;

namespace LoadBalancing.Consul.Tests.Internal;

/// <summary>Health and catalog reads: requests, documented responses and the query-metadata headers.</summary>
public sealed class ConsulClientDiscoveryTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetServiceHealthAsync_DocumentedSample_ParsesNodeServiceAndChecks()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.FixtureJson("health-service-response.json", index: 4242));
        using var client = server.CreateClient();

        var result = await client.GetServiceHealthAsync("redis", cancellationToken: Ct);

        var request = Assert.Single(server.Requests);
        Assert.Equal(("GET", "/v1/health/service/redis"), (request.Method, request.Path));
        Assert.Empty(request.Query);
        Assert.Equal(4242UL, result.Meta.LastIndex);

        var entry = Assert.Single(result.Value);
        Assert.Equal(("40e4a748-2192-161a-0510-9bf59fe950b5", "foobar", "10.1.10.12", "dc1"), (entry.Node.Id, entry.Node.Node, entry.Node.Address, entry.Node.Datacenter));
        Assert.Equal("10.1.10.12", entry.Node.TaggedAddresses!["wan"]);
        Assert.Equal("t2.medium", entry.Node.Meta!["instance_type"]);
        Assert.Equal(("redis", "redis", "10.1.10.12", 8000), (entry.Service.Id, entry.Service.Service, entry.Service.Address, entry.Service.Port));
        Assert.Equal(["primary"], entry.Service.Tags!);
        Assert.Equal(new ServiceAddress { Address = "198.18.1.2", Port = 80 }, entry.Service.TaggedAddresses!["wan"]);
        Assert.Equal(new ServiceWeights { Passing = 10, Warning = 1 }, entry.Service.Weights);

        // Service check and node check (ServiceID "") are both in Checks.
        Assert.Equal(["service:redis", "serfHealth"], entry.Checks.Select(c => c.CheckId));
        Assert.Equal("", entry.Checks[1].ServiceId);
        Assert.Equal(HealthStatus.Passing, entry.AggregateStatus());
        Assert.Equal(10, entry.EffectiveWeight());
        Assert.Equal("10.1.10.12", entry.EffectiveAddress);
    }

    [Fact]
    public async Task GetServiceHealthAsync_AllFilters_SendsPassingTagsFilterDc()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Json("[]", index: 1));
        using var client = server.CreateClient();

        var query = new HealthServiceQuery
        {
            PassingOnly = true,
            Tags = ["primary", "v1"],
            Filter = "Service.Meta.vip == \"10.0.0.1\"",
            Datacenter = "dc2",
        };
        var result = await client.GetServiceHealthAsync("my service", query, cancellationToken: Ct);

        Assert.Empty(result.Value);
        var request = Assert.Single(server.Requests);
        Assert.Equal("/v1/health/service/my%20service", request.Path);
        Assert.Equal("1", request.QueryValue("passing"));
        Assert.Equal(["primary", "v1"], request.QueryValues("tag"));
        Assert.Equal("Service.Meta.vip == \"10.0.0.1\"", request.QueryValue("filter"));
        Assert.Equal("dc2", request.QueryValue("dc"));
        Assert.False(request.HasQuery("index"));
        Assert.False(request.HasQuery("wait"));
    }

    [Fact]
    public async Task GetServiceHealthAsync_Blocking_SendsIndexAndWaitInMilliseconds()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Json("[]", index: 101), ScriptedResponse.Json("[]", index: 102), ScriptedResponse.Json("[]", index: 103));
        using var client = server.CreateClient(configure: o => o with { DefaultWait = TimeSpan.FromMinutes(2) });

        await client.GetServiceHealthAsync("web", options: new QueryOptions { Index = 100, Wait = TimeSpan.FromSeconds(30) }, cancellationToken: Ct);
        await client.GetServiceHealthAsync("web", options: new QueryOptions { Index = 101 }, cancellationToken: Ct);
        await client.GetServiceHealthAsync("web", options: new QueryOptions { Index = 102, Wait = TimeSpan.FromHours(1) }, cancellationToken: Ct);

        Assert.Equal(("100", "30000ms"), (server.Requests[0].QueryValue("index"), server.Requests[0].QueryValue("wait")));
        Assert.Equal(("101", "120000ms"), (server.Requests[1].QueryValue("index"), server.Requests[1].QueryValue("wait")));

        // Consul caps wait at 10 minutes.
        Assert.Equal("600000ms", server.Requests[2].QueryValue("wait"));
    }

    [Fact]
    public async Task GetServiceHealthAsync_UInt64Index_RoundTripsWithoutLoss()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Json("[]", index: ulong.MaxValue), ScriptedResponse.Json("[]", index: ulong.MaxValue));
        using var client = server.CreateClient();

        var first = await client.GetServiceHealthAsync("web", cancellationToken: Ct);
        await client.GetServiceHealthAsync("web", options: new QueryOptions { Index = first.Meta.LastIndex }, cancellationToken: Ct);

        Assert.Equal(ulong.MaxValue, first.Meta.LastIndex);
        Assert.Equal("18446744073709551615", server.Requests[1].QueryValue("index"));
    }

    [Fact]
    public async Task GetCatalogServicesAsync_DocumentedConsistencyHeaders_ParsesBodyAndMeta()
    {
        // blocking-query-headers.txt: the documented curl --include of /v1/catalog/services. No page prints an
        // X-Consul-Index value, so the test adds one (see the fixture's source note).
        await using var server = new ConsulTestServer();
        var response = ScriptedResponse.Json(Fixture.ReadTranscriptBody("blocking-query-headers.txt"), index: 77);
        response.Headers.AddRange(Fixture.ReadHeaders("blocking-query-headers.txt").Where(h => h.Key != "Content-Type"));
        server.Enqueue(response);
        using var client = server.CreateClient();

        var result = await client.GetCatalogServicesAsync(cancellationToken: Ct);

        var request = Assert.Single(server.Requests);
        Assert.Equal(("GET", "/v1/catalog/services"), (request.Method, request.Path));
        Assert.Empty(result.Value["redis"]);
        Assert.Equal(["primary", "secondary"], result.Value["postgresql"]);
        Assert.Equal(77UL, result.Meta.LastIndex);
        Assert.Equal("leader", result.Meta.EffectiveConsistency);
        Assert.True(result.Meta.KnownLeader);
        Assert.Equal(TimeSpan.Zero, result.Meta.LastContact);
        Assert.False(result.Meta.ResultsFilteredByAcls);
    }

    [Fact]
    public async Task GetCatalogServicesAsync_AclFilteredHeadersInAgentCasing_AreRead()
    {
        await using var server = new ConsulTestServer();
        var response = ScriptedResponse.Json(Fixture.ReadTranscriptBody("response-headers-acl-filtered.txt"), index: 5);
        response.Headers.AddRange(Fixture.ReadHeaders("response-headers-acl-filtered.txt").Where(h => h.Key != "Content-Type"));
        server.Enqueue(response);
        using var client = server.CreateClient(token: "<non-anonymous consul token>");

        var result = await client.GetCatalogServicesAsync(cancellationToken: Ct);

        Assert.Equal("<non-anonymous consul token>", server.Requests[0].Header("X-Consul-Token"));
        Assert.Equal("deny", result.Meta.DefaultAclPolicy);
        Assert.True(result.Meta.ResultsFilteredByAcls);
        Assert.Equal(2, result.Value.Count);
    }

    [Fact]
    public async Task GetCatalogServicesAsync_ListServicesSample_ParsesEveryName()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.FixtureJson("catalog-services-response.json", index: 9));
        using var client = server.CreateClient(configure: o => o with { Datacenter = "dc1" });

        var result = await client.GetCatalogServicesAsync("ServiceName != \"consul\"", cancellationToken: Ct);

        Assert.Equal(["consul", "postgresql", "redis"], result.Value.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("dc1", server.Requests[0].QueryValue("dc"));
        Assert.Equal("ServiceName != \"consul\"", server.Requests[0].QueryValue("filter"));
    }

    [Fact]
    public async Task GetServiceHealthAsync_BadFilter_ThrowsWithConsulText()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Error(400, "Invalid value for ?passing"));
        using var client = server.CreateClient();

        var e = await Assert.ThrowsAsync<ConsulException>(() => client.GetServiceHealthAsync("web", cancellationToken: Ct));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Equal("Invalid value for ?passing", e.ResponseBody);
    }
}
