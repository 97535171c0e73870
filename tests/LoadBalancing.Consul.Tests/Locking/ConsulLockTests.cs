using System.Text;
using System.Text.Json.Nodes;
using LoadBalancing.Consul.Locking;
using LoadBalancing.Consul.Tests.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Consul.Tests.Locking;

/// <summary>The session + KV lock against the stateful fake agent, and the documented lock-watch sequence against fixtures.</summary>
public sealed class ConsulLockTests
{
    private const string Key = "loadbalancing/director/leader";
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static ConsulLockOptions Options(string holder) => new()
    {
        Key = Key, Value = Encoding.UTF8.GetBytes(holder), SessionTtl = TimeSpan.FromSeconds(10), LockDelay = TimeSpan.FromSeconds(15),
        LockDelayRetry = TimeSpan.FromSeconds(5), MonitorWait = TimeSpan.FromSeconds(5), RetryDelay = TimeSpan.FromMilliseconds(100),
    };

    [Fact]
    public async Task Acquire_FreeKey_HeldRenewedAtHalfTtlReleasedOnDispose()
    {
        var time = new DelayCountingTimeProvider();
        await using var consul = new FakeConsulAgent(time);
        using var client = ConsulClientFactory.Create(consul.ClientOptions(), TimeProvider.System);

        var held = await ConsulLock.AcquireAsync(client, Options("director-a"), time, cancellationToken: Ct);

        var key = consul.Key(Key)!;
        Assert.Equal((held.SessionId, 1UL, "director-a"), (key.Session, key.LockIndex, Encoding.UTF8.GetString(key.Value)));
        Assert.Equal(1UL, held.LockIndex);
        // Renewals come due every TTL/2 = 5 s, never earlier. The clock moves only once the renew loop waits for its
        // next renewal (advanced before that delay exists, the clock would put the renewal 5 s later).
        var renewalsBefore = Renewals(consul);
        for (var beat = 1; beat <= 4; beat++)
        {
            await WaitUntilAsync(() => time.Delays == beat);
            time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromTicks(1));
            consul.Tick();
            Assert.Equal(renewalsBefore + beat - 1, Renewals(consul));
            time.Advance(TimeSpan.FromTicks(1));
            await WaitUntilAsync(() => Renewals(consul) == renewalsBefore + beat);
            consul.Tick();
            Assert.False(held.LostToken.IsCancellationRequested, $"lost after {5 * beat} s: {held.LostReason}");
        }

        Assert.False(held.LostToken.IsCancellationRequested);     // 20 s on a 10 s TTL: renewals kept it alive
        await held.DisposeAsync();

        Assert.True(held.LostToken.IsCancellationRequested);
        Assert.Equal("released", held.LostReason);
        Assert.Null(consul.Key(Key)!.Session);
        Assert.Empty(consul.SessionIds);
    }

    [Fact]
    public async Task Held_AnotherSessionTakesTheKey_LostAtOnce()
    {
        await using var consul = new FakeConsulAgent();
        using var client = ConsulClientFactory.Create(consul.ClientOptions());
        await using var held = await ConsulLock.AcquireAsync(client, Options("director-a"), cancellationToken: Ct);
        await WaitUntilAsync(() => consul.Requests.Any(r => r.Method == "GET" && r.HasQuery("index")));

        consul.WriteKeyDirect(Key, Encoding.UTF8.GetBytes("intruder"), "other-session");

        await WaitUntilAsync(() => held.LostToken.IsCancellationRequested);
        Assert.Contains("held by session other-session", held.LostReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Held_SessionInvalidated_LostAtOnceAndOthersWaitOutTheLockDelay()
    {
        var time = new FakeTimeProvider();
        await using var consul = new FakeConsulAgent(time);
        using var client = ConsulClientFactory.Create(consul.ClientOptions(), TimeProvider.System);
        await using var a = await ConsulLock.AcquireAsync(client, Options("director-a"), time, cancellationToken: Ct);

        consul.InvalidateSession(a.SessionId);     // e.g. its node's serfHealth failed
        await WaitUntilAsync(() => a.LostToken.IsCancellationRequested);
        Assert.Contains("released", a.LostReason, StringComparison.Ordinal);

        // Director B: the key is free but in its 15 s lock-delay, so acquire answers false and B retries every 5 s.
        // Fake time moves 1 s at a time with a real pause after each step for B to retry; B must not get the key
        // before the lock-delay is over (the fake agent refuses it on the same clock), and gets it soon after.
        var b = ConsulLock.AcquireAsync(client, Options("director-b"), time, cancellationToken: Ct);
        await WaitUntilAsync(() => consul.Requests.Count(r => r.HasQuery("acquire")) == 2);
        var advanced = TimeSpan.Zero;
        while (!b.IsCompleted && advanced < TimeSpan.FromSeconds(60))
        {
            time.Advance(TimeSpan.FromSeconds(1));
            advanced += TimeSpan.FromSeconds(1);
            await Task.WhenAny(b, Task.Delay(50, Ct));
            Assert.False(b.IsCompleted && advanced < TimeSpan.FromSeconds(15), $"B got the key {advanced} after the invalidation, inside the 15 s lock-delay");
        }

        await using var heldB = await b.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.InRange(advanced, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(59));

        // Spaced retries, not a spin: at most one acquire per 5 s of waiting (plus A's and B's first).
        Assert.InRange(consul.Requests.Count(r => r.HasQuery("acquire")), 3, 2 + ((int)advanced.TotalSeconds / 5) + 1);
        Assert.Equal("director-b", Encoding.UTF8.GetString(consul.Key(Key)!.Value));
        Assert.Equal(2UL, heldB.LockIndex);
    }

    [Fact]
    public async Task Acquire_HeldByAnother_BlocksOnTheKeyAndAcquiresWhenReleased()
    {
        await using var consul = new FakeConsulAgent();
        using var client = ConsulClientFactory.Create(consul.ClientOptions());
        var a = await ConsulLock.AcquireAsync(client, Options("director-a"), cancellationToken: Ct);

        var b = ConsulLock.AcquireAsync(client, Options("director-b"), cancellationToken: Ct);
        await WaitUntilAsync(() => consul.Requests.Count(r => r.Method == "GET" && r.Path.StartsWith("/v1/kv/", StringComparison.Ordinal) && r.HasQuery("index")) >= 2);
        Assert.False(b.IsCompleted);

        await a.DisposeAsync();      // released, not invalidated: no lock-delay
        await using var heldB = await b.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        Assert.Equal(heldB.SessionId, consul.Key(Key)!.Session);
        Assert.Single(consul.SessionIds);
    }

    [Fact]
    public async Task Monitor_DocumentedLockWatchSequence_BlocksOnEachModifyIndexAndReportsTheNewHolder()
    {
        // The documented leader-election shapes: the key held at ModifyIndex 13061, then changed at 13329 (same
        // session), then taken by another session. Our session is the fixtures' d21d60ad-… holder.
        var held = JsonNode.Parse(Fixture.Read("kv-lock-held-response.json"))!;
        var session = held[0]!["Session"]!.GetValue<string>();
        var changed = Fixture.Read("kv-lock-changed-response.json");
        var taken = JsonNode.Parse(changed)!;
        taken[0]!["Session"] = "0f5e7c6a-1d29-4c36-9a43-71b3b3c0b2f1";
        taken[0]!["ModifyIndex"] = 13400;
        var create = JsonNode.Parse(Fixture.Read("session-create-response.json"))!;
        create["ID"] = session;
        var renew = JsonNode.Parse(Fixture.Read("session-renew-response.json"))!;
        renew[0]!["ID"] = session;

        await using var server = new ConsulTestServer();
        server.Enqueue(
            ScriptedResponse.Json(create.ToJsonString()),
            ScriptedResponse.Json(renew.ToJsonString()),
            ScriptedResponse.FixtureJson("kv-put-response.json"),
            ScriptedResponse.Json(held.ToJsonString(), index: 13061),
            ScriptedResponse.Json(changed, index: 13329),
            ScriptedResponse.Json(taken.ToJsonString(), index: 13400));
        var time = new FakeTimeProvider();      // renewals never come due: only the monitor talks
        using var client = ConsulClientFactory.Create(new ConsulClientOptions { Address = server.Address });
        var options = Options("x") with { Key = "service/leader" };

        await using var lockHeld = await ConsulLock.AcquireAsync(client, options, time, cancellationToken: Ct);
        await WaitUntilAsync(() => lockHeld.LostToken.IsCancellationRequested);

        Assert.Equal(13061UL, lockHeld.ModifyIndex);
        Assert.Contains("held by session 0f5e7c6a-1d29-4c36-9a43-71b3b3c0b2f1", lockHeld.LostReason, StringComparison.Ordinal);
        var requests = server.Requests;
        Assert.Equal(("PUT", "/v1/session/create"), (requests[0].Method, requests[0].Path));
        Assert.Equal(session, requests[2].QueryValue("acquire"));
        Assert.False(requests[3].HasQuery("index"));
        Assert.Equal(["13061", "13329"], requests.Skip(4).Take(2).Select(r => r.QueryValue("index")));
        Assert.All(requests.Skip(3).Take(3), r => Assert.Equal("/v1/kv/service/leader", r.Path));
        server.Enqueue(ScriptedResponse.Json("true"), ScriptedResponse.Json("true"));   // dispose: destroy (no release: it was lost)
    }

    private static int Renewals(FakeConsulAgent consul) => consul.Requests.Count(r => r.Path.StartsWith("/v1/session/renew/", StringComparison.Ordinal));

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
