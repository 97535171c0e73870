using System.Net;
using System.Text;
using LoadBalancing.Consul.Model;
using LoadBalancing.Consul.Tests.Fakes;

namespace LoadBalancing.Consul.Tests.Internal;

/// <summary>Sessions and KV locks against the documented shapes.</summary>
public sealed class ConsulClientSessionTests
{
    private const string SessionId = "adf4238a-882b-9ddc-4a9d-5b6758e4159e";
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateSessionAsync_DocumentedSample_SendsFixtureBodyAndReturnsId()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.FixtureJson("session-create-response.json"));
        using var client = server.CreateClient();

        var id = await client.CreateSessionAsync(new SessionRequest
        {
            LockDelay = TimeSpan.FromSeconds(15),
            Name = "my-service-lock",
            Node = "foobar",
            Checks = ["a", "b", "c"],
            Behavior = SessionBehavior.Release,
            Ttl = TimeSpan.FromSeconds(30),
        }, Ct);

        Assert.Equal(SessionId, id);
        var request = Assert.Single(server.Requests);
        Assert.Equal(("PUT", "/v1/session/create"), (request.Method, request.Path));
        Assert.Equal("application/json", request.Header("Content-Type"));
        JsonAssert.Equal(Fixture.Read("session-create-request.json"), request.BodyText);
    }

    [Fact]
    public async Task CreateSessionAsync_NoChecksDeleteBehavior_SendsEmptyListAndDelete()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.FixtureJson("session-create-response.json"));
        using var client = server.CreateClient();

        await client.CreateSessionAsync(new SessionRequest { NodeChecks = [], Behavior = SessionBehavior.Delete, LockDelay = TimeSpan.Zero }, Ct);

        // An explicit empty list means "no health binding"; omitting it would bind to serfHealth.
        JsonAssert.Equal("""{"NodeChecks":[],"Behavior":"delete","LockDelay":"0s"}""", server.Requests[0].BodyText);
    }

    [Fact]
    public async Task RenewSessionAsync_DocumentedSample_ParsesNanosecondLockDelayAndTtl()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.FixtureJson("session-renew-response.json"));
        using var client = server.CreateClient();

        var session = await client.RenewSessionAsync(SessionId, Ct);

        var request = Assert.Single(server.Requests);
        Assert.Equal(("PUT", $"/v1/session/renew/{SessionId}"), (request.Method, request.Path));
        Assert.NotNull(session);
        Assert.Equal((SessionId, "test-session", "raja-laptop-02"), (session.Id, session.Name, session.Node));

        // 15000000000 ns on the wire.
        Assert.Equal(TimeSpan.FromSeconds(15), session.LockDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), session.Ttl);
        Assert.Equal(SessionBehavior.Release, session.Behavior);
        Assert.Equal(["serfHealth"], session.NodeChecks!);
        Assert.Null(session.ServiceChecks);
        Assert.Equal((1086449UL, 1086449UL), (session.CreateIndex, session.ModifyIndex));
    }

    [Fact]
    public async Task RenewSessionAsync_Expired404_ReturnsNull()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Error(404, $"Session id '{SessionId}' not found"));
        using var client = server.CreateClient();

        Assert.Null(await client.RenewSessionAsync(SessionId, Ct));
    }

    [Fact]
    public async Task GetSessionAsync_DocumentedSampleAndEmptyArray_ParseToSessionAndNull()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.FixtureJson("session-info-response.json", index: 1086449), ScriptedResponse.Json("[]", index: 1086450));
        using var client = server.CreateClient();

        var found = await client.GetSessionAsync(SessionId, cancellationToken: Ct);
        var gone = await client.GetSessionAsync(SessionId, new QueryOptions { Index = found.Meta.LastIndex, Wait = TimeSpan.FromSeconds(15) }, Ct);

        Assert.Equal(TimeSpan.FromSeconds(15), found.Value!.LockDelay);
        Assert.Null(gone.Value);
        Assert.Equal($"/v1/session/info/{SessionId}", server.Requests[0].Path);
        Assert.Equal(("1086449", "15000ms"), (server.Requests[1].QueryValue("index"), server.Requests[1].QueryValue("wait")));
    }

    [Fact]
    public async Task DestroySessionAsync_DocumentedSample_ReturnsTrue()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.FixtureJson("session-destroy-response.json"));
        using var client = server.CreateClient();

        Assert.True(await client.DestroySessionAsync(SessionId, Ct));
        Assert.Equal(("PUT", $"/v1/session/destroy/{SessionId}"), (server.Requests[0].Method, server.Requests[0].Path));
    }

    [Fact]
    public async Task GetKeyAsync_DocumentedSample_ParsesBase64ValueAndSession()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.FixtureJson("kv-get-response.json", index: 200));
        using var client = server.CreateClient();

        var result = await client.GetKeyAsync("zip", cancellationToken: Ct);

        Assert.Equal(("GET", "/v1/kv/zip"), (server.Requests[0].Method, server.Requests[0].Path));
        var pair = result.Value!;
        Assert.Equal(("zip", 100UL, 200UL, 200UL, 0UL), (pair.Key, pair.CreateIndex, pair.ModifyIndex, pair.LockIndex, pair.Flags));
        Assert.Equal("test", Encoding.UTF8.GetString(pair.Value!));
        Assert.Equal(SessionId, pair.Session);
        Assert.Equal(200UL, result.Meta.LastIndex);
    }

    [Fact]
    public async Task GetKeyAsync_Missing404_ReturnsNullWithIndexForBlocking()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(new ScriptedResponse(404, "", "text/plain") { Headers = [new("X-Consul-Index", "31")] });
        using var client = server.CreateClient();

        var result = await client.GetKeyAsync("service/leader", cancellationToken: Ct);

        Assert.Null(result.Value);
        Assert.Equal(31UL, result.Meta.LastIndex);
    }

    [Fact]
    public async Task GetKeyAsync_DocumentedLockWatch_SendsTheDocumentedRequestSequence()
    {
        // blocking-query-requests.txt: GET /v1/kv/service/leader?index=1, then ?index=13061 (the ModifyIndex of
        // kv-lock-held-response.json), answered by kv-lock-changed-response.json.
        var documented = Fixture.Read("blocking-query-requests.txt").Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("http://127.0.0.1:8500/", StringComparison.Ordinal))
            .Select(l => new Uri(l.Split(' ')[0]))
            .ToArray();
        Assert.Equal(2, documented.Length);

        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.FixtureJson("kv-lock-held-response.json", index: 13061), ScriptedResponse.FixtureJson("kv-lock-changed-response.json", index: 13329));
        using var client = server.CreateClient(token: "tok");

        var held = await client.GetKeyAsync("service/leader", new QueryOptions { Index = 1 }, Ct);
        var changed = await client.GetKeyAsync("service/leader", new QueryOptions { Index = held.Value!.ModifyIndex }, Ct);

        for (var i = 0; i < documented.Length; i++)
        {
            var request = server.Requests[i];
            Assert.Equal("GET", request.Method);
            Assert.Equal(documented[i].AbsolutePath, request.Path);
            Assert.Equal(documented[i].Query.TrimStart('?'), $"index={request.QueryValue("index")}");
            Assert.Equal("tok", request.Header("X-Consul-Token"));
        }

        Assert.Equal("d21d60ad-c2d2-b32a-7432-ca4048a4a7d6", held.Value.Session);
        Assert.Equal("""{"Node": "hashicups-db-0"}""", Encoding.UTF8.GetString(held.Value.Value!));
        Assert.Equal(13329UL, changed.Value!.ModifyIndex);
        Assert.Equal("""{"Node": "hashicups-db-1"}""", Encoding.UTF8.GetString(changed.Value.Value!));
    }

    [Fact]
    public async Task PutKeyAsync_Acquire_SendsRawBodyAndAcquireAndParsesTrue()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.FixtureJson("kv-put-response.json"), ScriptedResponse.Json("false"));
        using var client = server.CreateClient();

        var value = """{"Node": "director-a"}"""u8.ToArray();
        var acquired = await client.PutKeyAsync("service/leader", value, new KVWriteOptions { Acquire = SessionId, Flags = 3304740253564472344 }, Ct);
        var again = await client.PutKeyAsync("service/leader", value, new KVWriteOptions { Acquire = SessionId }, Ct);

        Assert.True(acquired);
        Assert.False(again);
        var request = server.Requests[0];
        Assert.Equal(("PUT", "/v1/kv/service/leader"), (request.Method, request.Path));
        Assert.Equal(SessionId, request.QueryValue("acquire"));
        Assert.Equal("3304740253564472344", request.QueryValue("flags"));
        Assert.Equal(value, request.Body);
        Assert.Equal("application/octet-stream", request.Header("Content-Type"));
    }

    [Fact]
    public async Task PutKeyAsync_ReleaseAndCas_SendTheirParameters()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Json("true"), ScriptedResponse.Json("true"));
        using var client = server.CreateClient();

        await client.PutKeyAsync("service/leader", default, new KVWriteOptions { Release = SessionId }, Ct);
        await client.PutKeyAsync("a b/c", "x"u8.ToArray(), new KVWriteOptions { Cas = 0 }, Ct);

        Assert.Equal(SessionId, server.Requests[0].QueryValue("release"));
        Assert.Empty(server.Requests[0].Body);
        Assert.Equal("/v1/kv/a%20b/c", server.Requests[1].Path);
        Assert.Equal("0", server.Requests[1].QueryValue("cas"));
    }

    [Fact]
    public async Task PutKeyAsync_InvalidSession500_ThrowsAndConflictingOptionsRejected()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Error(500, "invalid session \"x\""));
        using var client = server.CreateClient();

        var e = await Assert.ThrowsAsync<ConsulException>(() => client.PutKeyAsync("k", default, new KVWriteOptions { Acquire = "x" }, Ct));
        Assert.Equal(HttpStatusCode.InternalServerError, e.StatusCode);
        await Assert.ThrowsAsync<ArgumentException>(() => client.PutKeyAsync("k", default, new KVWriteOptions { Acquire = "x", Release = "x" }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => client.PutKeyAsync("/k", default, null, Ct));
    }
}
