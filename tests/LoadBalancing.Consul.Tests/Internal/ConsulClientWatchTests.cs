using LoadBalancing.Consul.Model;
using LoadBalancing.Consul.Tests.Fakes;
using LoadBalancing.Consul.Watch;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Consul.Tests.Internal;

/// <summary>
/// Blocking-query sequences through the health watch against the 127.0.0.1 test server. Timing is driven by a
/// <see cref="FakeTimeProvider"/>: after a yield, the watch's next <c>MoveNextAsync</c> runs synchronously up to
/// its delay, so advancing the clock afterwards is deterministic.
/// </summary>
public sealed class ConsulClientWatchTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    // No rate limiting unless a test is about it.
    private static readonly ConsulWatchOptions Unlimited = new() { RateLimitBurst = 1000, Wait = TimeSpan.FromSeconds(60) };

    private static string Health(params string[] serviceIds)
    {
        var entries = serviceIds.Select(id =>
            $$"""{"Node":{"Node":"node-{{id}}","Address":"10.0.0.1"},"Service":{"ID":"{{id}}","Service":"web","Port":80,"Address":""},"Checks":[{"CheckID":"serfHealth","Status":"passing"}]}""");
        return "[" + string.Join(",", entries) + "]";
    }

    private static async Task<ServiceHealthUpdate> NextAsync(IAsyncEnumerator<ServiceHealthUpdate> watch)
    {
        Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct));
        return watch.Current;
    }

    [Fact]
    public async Task Watch_IndexIncreases_BlocksOnEachReturnedIndexAndYieldsOnlyChanges()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(
            ScriptedResponse.Json(Health("a"), index: 10),
            ScriptedResponse.Json(Health("a"), index: 11),       // woke up, nothing changed: no yield
            ScriptedResponse.Json(Health("b", "a"), index: 12));
        using var client = server.CreateClient();
        await using var watch = client.WatchServiceHealthAsync("web", null, Unlimited, Ct).GetAsyncEnumerator(Ct);

        var first = await NextAsync(watch);
        var second = await NextAsync(watch);

        Assert.Equal((10UL, true, false), (first.Index, first.HasResult, first.IsStale));
        Assert.Equal(["a"], first.Entries.Select(e => e.Service.Id));
        Assert.Equal(12UL, second.Index);

        // Ordered by node name, then service ID, whatever order Consul used.
        Assert.Equal(["a", "b"], second.Entries.Select(e => e.Service.Id));

        var requests = server.Requests;
        Assert.False(requests[0].HasQuery("index"));
        Assert.Equal(("10", "60000ms"), (requests[1].QueryValue("index"), requests[1].QueryValue("wait")));
        Assert.Equal("11", requests[2].QueryValue("index"));
    }

    [Fact]
    public async Task Watch_IndexGoesBackwards_ResetsToZeroThenBlocksOnTheNewIndex()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(
            ScriptedResponse.Json(Health("a"), index: 100),
            ScriptedResponse.Json(Health("b"), index: 40),        // snapshot restore: lower index
            ScriptedResponse.Json(Health("b"), index: 41),
            ScriptedResponse.Json(Health("c"), index: 42));
        using var client = server.CreateClient();
        await using var watch = client.WatchServiceHealthAsync("web", null, Unlimited, Ct).GetAsyncEnumerator(Ct);

        await NextAsync(watch);
        var afterRestore = await NextAsync(watch);
        var last = await NextAsync(watch);

        Assert.Equal(["b"], afterRestore.Entries.Select(e => e.Service.Id));
        Assert.Equal(["c"], last.Entries.Select(e => e.Service.Id));
        var requests = server.Requests;
        Assert.Equal("100", requests[1].QueryValue("index"));
        Assert.False(requests[2].HasQuery("index"));             // reset: a non-blocking read
        Assert.Equal("41", requests[3].QueryValue("index"));
    }

    [Fact]
    public async Task Watch_IndexZeroOrMissing_BlocksOnOneInsteadOfSpinning()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Json(Health("a"), index: 0), ScriptedResponse.Json(Health("b")));
        using var client = server.CreateClient();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await using var watch = client.WatchServiceHealthAsync("web", null, Unlimited, cts.Token).GetAsyncEnumerator(cts.Token);

        await NextAsync(watch);
        await NextAsync(watch);
        var pending = watch.MoveNextAsync().AsTask();            // third query, held by the server
        for (var i = 0; i < 3; i++)
        {
            await server.NextRequestAsync();
        }

        Assert.False(pending.IsCompleted);
        Assert.False(server.Requests[0].HasQuery("index"));
        Assert.Equal("1", server.Requests[1].QueryValue("index"));
        Assert.Equal("1", server.Requests[2].QueryValue("index"));

        // An enumerator cannot be disposed while a MoveNextAsync is pending: end the watch first.
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
    }

    [Fact]
    public async Task Watch_ServerErrors_KeepsLastGoodResultMarkedStaleAndBacksOffExponentially()
    {
        var time = new FakeTimeProvider();
        await using var server = new ConsulTestServer();
        server.Enqueue(
            ScriptedResponse.Json(Health("a"), index: 7),
            ScriptedResponse.Error(500, "No cluster leader"),
            ScriptedResponse.Error(500, "rpc error making call: EOF"),
            ScriptedResponse.Json(Health("a"), index: 9));

        // jitter 0 → each delay is exactly half of base·2^(n-1): 0.5 s, then 1 s.
        using var client = server.CreateClient(time, jitter: () => 0.0);
        var options = Unlimited with { RetryBaseDelay = TimeSpan.FromSeconds(1), RetryMaxDelay = TimeSpan.FromSeconds(60) };
        await using var watch = client.WatchServiceHealthAsync("web", null, options, Ct).GetAsyncEnumerator(Ct);

        var good = await NextAsync(watch);
        var stale1 = await NextAsync(watch);

        Assert.True(stale1.IsStale);
        Assert.True(stale1.HasResult);
        Assert.Equal(good.Entries, stale1.Entries);
        Assert.Equal(7UL, stale1.Index);
        Assert.Equal(1, stale1.ConsecutiveFailures);
        var error = Assert.IsType<ConsulException>(stale1.Error);
        Assert.Equal("No cluster leader", error.ResponseBody);

        var next = watch.MoveNextAsync().AsTask();                         // now waiting in the back-off delay
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(next.IsCompleted);
        Assert.Equal(2, server.Requests.Count);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(20), Ct));
        var stale2 = watch.Current;
        Assert.Equal((true, 2), (stale2.IsStale, stale2.ConsecutiveFailures));
        Assert.Equal("rpc error making call: EOF", Assert.IsType<ConsulException>(stale2.Error).ResponseBody);

        next = watch.MoveNextAsync().AsTask();
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(20), Ct));
        var recovered = watch.Current;

        // Same content as before the outage, yet yielded: the consumer must learn the data is fresh again.
        Assert.Equal((false, 0, 9UL), (recovered.IsStale, recovered.ConsecutiveFailures, recovered.Index));
        Assert.Null(recovered.Error);
        Assert.Equal(["a"], recovered.Entries.Select(e => e.Service.Id));

        // The index was kept across the errors: the retries block on 7 again.
        Assert.Equal(["7", "7", "7"], server.Requests.Skip(1).Select(r => r.QueryValue("index")));
    }

    [Fact]
    public async Task Watch_FirstQueryFails_YieldsNoResultYet()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Error(503, ""));
        using var client = server.CreateClient();
        await using var watch = client.WatchServiceHealthAsync("web", null, Unlimited, Ct).GetAsyncEnumerator(Ct);

        var update = await NextAsync(watch);

        Assert.Equal((false, true), (update.HasResult, update.IsStale));
        Assert.Empty(update.Entries);
    }

    [Fact]
    public async Task Watch_BadRequest_EndsTheWatchWithTheException()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Error(400, "Failed to create boolean expression evaluator: 1:1 (0): no match found"));
        using var client = server.CreateClient();
        await using var watch = client.WatchServiceHealthAsync("web", new HealthServiceQuery { Filter = "nonsense" }, Unlimited, Ct).GetAsyncEnumerator(Ct);

        var e = await Assert.ThrowsAsync<ConsulException>(async () => await watch.MoveNextAsync());
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, e.StatusCode);
    }

    [Fact]
    public async Task Watch_Churn_RateLimitsToOneQueryPerIntervalAfterTheBurst()
    {
        var time = new FakeTimeProvider();
        await using var server = new ConsulTestServer();
        server.Enqueue(
            ScriptedResponse.Json(Health("a"), index: 1),
            ScriptedResponse.Json(Health("b"), index: 2),
            ScriptedResponse.Json(Health("c"), index: 3));
        using var client = server.CreateClient(time);
        var options = new ConsulWatchOptions { RateLimitBurst = 2, RateLimitInterval = TimeSpan.FromSeconds(15) };
        await using var watch = client.WatchServiceHealthAsync("web", null, options, Ct).GetAsyncEnumerator(Ct);

        await NextAsync(watch);
        await NextAsync(watch);
        var next = watch.MoveNextAsync().AsTask();                         // bucket empty: waits for a token

        time.Advance(TimeSpan.FromSeconds(15) - TimeSpan.FromTicks(1));
        Assert.False(next.IsCompleted);
        Assert.Equal(2, server.Requests.Count);
        time.Advance(TimeSpan.FromTicks(1));
        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(20), Ct));
        Assert.Equal(["c"], watch.Current.Entries.Select(e => e.Service.Id));
    }

    [Fact]
    public async Task Watch_Cancelled_EndsWithOperationCanceled()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Json(Health("a"), index: 5));
        using var client = server.CreateClient();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await using var watch = client.WatchServiceHealthAsync("web", null, Unlimited, cts.Token).GetAsyncEnumerator(cts.Token);

        await NextAsync(watch);
        var next = watch.MoveNextAsync().AsTask();                         // held by the server: a blocking query
        await server.NextRequestAsync();
        await server.NextRequestAsync();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await next);
    }
}
