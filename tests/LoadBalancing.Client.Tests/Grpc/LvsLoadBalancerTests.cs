using Grpc.Core;
using Grpc.Net.Client;
using LoadBalancing.Client.Grpc;
using LoadBalancing.Client.Tests.Fixtures;
using LoadBalancing.Client.Tests.Protos;
using LoadBalancing.Health;
using LoadBalancing.Health.Outliers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Client.Tests.Grpc;

/// <summary>The lb:// resolver and the "lvs" policy of Grpc.Net.Client against three real gRPC servers (Kestrel, h2c) on loopback.</summary>
public sealed class LvsLoadBalancerTests
{
    private const string Vip = "10.255.0.2:50051";

    [Fact]
    public async Task Call_WeightedRoundRobin_SplitsExactlyByWeights()
    {
        await using var backends = await Backends.StartGrpcAsync();
        await using var app = await ClientHost.StartAsync(backends.Rules(Vip, "wrr", 3, 2, 1), (_, lb) => lb.AddGrpcLoadBalancing());
        using var channel = GrpcChannel.ForAddress($"lb://{Vip}", new GrpcChannelOptions().UseLoadBalancing(app.Services));
        var client = new Echo.EchoClient(channel);
        await WarmUpAsync(client, backends);
        var before = backends.All.Select(b => b.Calls).ToArray();

        // wrr repeats with a period of 6 picks: any 600 calls in a row are 100 whole periods.
        var names = await CallAsync(client, 600);

        Assert.Equal(300, names.Count(n => n == "a"));
        Assert.Equal(200, names.Count(n => n == "b"));
        Assert.Equal(100, names.Count(n => n == "c"));
        Assert.Equal([300, 200, 100], backends.All.Select((b, i) => b.Calls - before[i]));
    }

    [Fact]
    public async Task Call_UnavailableServer_EjectedAfterConsecutiveFailuresAndReturnsAfterEjectionTime()
    {
        var time = new FakeTimeProvider();
        await using var backends = await Backends.StartGrpcAsync();
        await using var app = await ClientHost.StartAsync(backends.Rules(Vip, "rr", 1, 1, 1), (services, lb) =>
        {
            lb.AddOutlierDetection(new OutlierDetectionOptions
            {
                ConsecutiveFailures = 3,
                BaseEjectionTime = TimeSpan.FromSeconds(30),
                Interval = TimeSpan.FromSeconds(10),
                SuccessRate = null,
            });
            services.Configure<HealthCheckOptions>(o => o.ProbeFactory = _ => null);
            lb.AddGrpcLoadBalancing();
        }, time);
        using var channel = GrpcChannel.ForAddress($"lb://{Vip}", new GrpcChannelOptions().UseLoadBalancing(app.Services));
        var client = new Echo.EchoClient(channel);
        var detector = app.Services.GetRequiredService<OutlierDetector>();
        var b = app.Server(backends.B);
        await WarmUpAsync(client, backends);
        var before = backends.B.Calls;
        backends.B.Mode = BackendMode.Failing;

        var outcomes = await OutcomesAsync(client, 30);

        // b answers UNAVAILABLE three times in a row, is ejected, and gets nothing more.
        Assert.Equal(3, outcomes.Count(o => o == "Unavailable"));
        Assert.Equal(3, backends.B.Calls - before);
        Assert.True(detector.IsEjected(b));
        Assert.Equal(0, b.Weight);
        Assert.Equal(27, outcomes.Count(o => o is "a" or "c"));

        backends.B.Mode = BackendMode.Ok;
        Assert.DoesNotContain("b", await CallAsync(client, 6));
        time.Advance(TimeSpan.FromSeconds(40));
        Assert.False(detector.IsEjected(b));
        var after = await CallAsync(client, 30);
        Assert.Equal(10, after.Count(n => n == "b"));
    }

    [Fact]
    public async Task Call_DeadlineExceeded_CountsAsTimeoutAndEjects()
    {
        await using var backends = await Backends.StartGrpcAsync();
        await using var app = await ClientHost.StartAsync(backends.Rules(Vip, "rr", 1, 1, 1), (services, lb) =>
        {
            lb.AddOutlierDetection(new OutlierDetectionOptions { ConsecutiveFailures = 2, SuccessRate = null });
            services.Configure<HealthCheckOptions>(o => o.ProbeFactory = _ => null);
            lb.AddGrpcLoadBalancing();
        }, new FakeTimeProvider());
        using var channel = GrpcChannel.ForAddress($"lb://{Vip}", new GrpcChannelOptions().UseLoadBalancing(app.Services));
        var client = new Echo.EchoClient(channel);
        await WarmUpAsync(client, backends);
        var before = backends.C.Calls;
        backends.C.Mode = BackendMode.Hanging;

        var outcomes = await OutcomesAsync(client, 15, deadline: TimeSpan.FromMilliseconds(300));

        Assert.Equal(2, outcomes.Count(o => o == "DeadlineExceeded"));
        Assert.Equal(2, backends.C.Calls - before);
        Assert.True(app.Services.GetRequiredService<OutlierDetector>().IsEjected(app.Server(backends.C)));
    }

    [Fact]
    public async Task Call_StoppedServer_CallsGoToTheOthersOnceItsConnectionIsDown()
    {
        await using var backends = await Backends.StartGrpcAsync();
        await using var app = await ClientHost.StartAsync(backends.Rules(Vip, "rr", 1, 1, 1), (_, lb) => lb.AddGrpcLoadBalancing());
        using var channel = GrpcChannel.ForAddress($"lb://{Vip}", new GrpcChannelOptions().UseLoadBalancing(app.Services));
        var client = new Echo.EchoClient(channel);
        await WarmUpAsync(client, backends);

        await backends.B.StopAsync();

        // A call racing the shutdown may still fail; once gRPC sees b's connection gone, 10 calls in a row succeed.
        var streak = 0;
        for (var i = 0; streak < 10; i++)
        {
            Assert.True(i < 200, "calls kept failing after b stopped");
            var outcome = (await OutcomesAsync(client, 1))[0];
            Assert.True(outcome is "a" or "c" or "Unavailable", $"unexpected outcome {outcome}");
            streak = outcome == "Unavailable" ? 0 : streak + 1;
        }

        // rr still walks c, b, a; b has no ready connection, so the picker asks again: c and a alternate.
        var names = await CallAsync(client, 30);
        Assert.Equal(15, names.Count(n => n == "a"));
        Assert.Equal(15, names.Count(n => n == "c"));
    }

    [Fact]
    public async Task Call_ServerQuiescedInTable_GetsNoCallsUntilWeightReturns()
    {
        await using var backends = await Backends.StartGrpcAsync();
        await using var app = await ClientHost.StartAsync(backends.Rules(Vip, "rr", 1, 1, 1), (_, lb) => lb.AddGrpcLoadBalancing());
        using var channel = GrpcChannel.ForAddress($"lb://{Vip}", new GrpcChannelOptions().UseLoadBalancing(app.Services));
        var client = new Echo.EchoClient(channel);
        await WarmUpAsync(client, backends);
        var b = app.Server(backends.B);

        // What the health adapter does when a check fails (or an ejection starts): weight 0 in the service table.
        app.Table.SetWeight(b, 0);
        var before = backends.B.Calls;
        var names = await CallAsync(client, 30);

        Assert.Equal(15, names.Count(n => n == "a"));
        Assert.Equal(15, names.Count(n => n == "c"));
        Assert.Equal(before, backends.B.Calls);
        app.Table.SetWeight(b, 1);
        Assert.Equal(10, (await CallAsync(client, 30)).Count(n => n == "b"));
    }

    [Fact]
    public async Task Call_InFlight_CountsAsActiveOnItsServer()
    {
        await using var backends = await Backends.StartGrpcAsync();
        await using var app = await ClientHost.StartAsync(backends.Rules(Vip, "rr", 1, 1, 1), (_, lb) => lb.AddGrpcLoadBalancing());
        using var channel = GrpcChannel.ForAddress($"lb://{Vip}", new GrpcChannelOptions().UseLoadBalancing(app.Services));
        var client = new Echo.EchoClient(channel);
        await WarmUpAsync(client, backends);
        var c = app.Server(backends.C);
        var before = backends.C.Calls;
        backends.C.Mode = BackendMode.Hanging;
        using var hold = new CancellationTokenSource();

        // rr reaches c within three calls; the one that does stays in flight.
        AsyncUnaryCall<WhoReply>? held = null;
        for (var i = 0; i < 3 && held is null; i++)
        {
            var call = client.WhoAsync(new WhoRequest(), cancellationToken: hold.Token);
            await Wait.UntilAsync(() => call.ResponseAsync.IsCompleted || backends.C.Calls > before, "the call ending or reaching c");
            if (backends.C.Calls > before)
            {
                held = call;
            }
            else
            {
                call.Dispose();
            }
        }

        Assert.NotNull(held);
        Assert.Equal(1, c.ActiveConnections);
        await hold.CancelAsync();
        await Assert.ThrowsAsync<RpcException>(() => held.ResponseAsync);
        held.Dispose();
        Assert.Equal(0, c.ActiveConnections);
    }

    [Fact]
    public async Task Call_MaglevWithHashKeyMetadata_SameKeySameServer()
    {
        await using var backends = await Backends.StartGrpcAsync();
        await using var app = await ClientHost.StartAsync(backends.Rules(Vip, "mh", 1, 1, 1), (_, lb) => lb.AddGrpcLoadBalancing());
        using var channel = GrpcChannel.ForAddress($"lb://{Vip}", new GrpcChannelOptions().UseLoadBalancing(app.Services));
        var client = new Echo.EchoClient(channel);
        await channel.ConnectAsync(TestContext.Current.CancellationToken);
        await Wait.UntilAsync(() => channel.State == ConnectivityState.Ready, "the channel being ready");

        // Until every subchannel is ready a key may land elsewhere; so every key is asked until its answer repeats 3 times.
        var byKey = new Dictionary<string, string>();
        for (var user = 0; user < 30; user++)
        {
            var headers = new Metadata { { "x-lb-key", $"user-{user}" } };
            string? last = null;
            for (var (same, tries) = (0, 0); same < 3; tries++)
            {
                Assert.True(tries < 30, $"user-{user} never settled on one server");
                var name = (await client.WhoAsync(new WhoRequest(), headers, cancellationToken: TestContext.Current.CancellationToken)).Name;
                same = name == last ? same + 1 : 1;
                last = name;
            }

            byKey[$"user-{user}"] = last!;
        }

        // Asked again, every key goes where it went.
        foreach (var (key, server) in byKey)
        {
            var headers = new Metadata { { "x-lb-key", key } };
            Assert.Equal(server, (await client.WhoAsync(new WhoRequest(), headers, cancellationToken: TestContext.Current.CancellationToken)).Name);
        }

        Assert.Equal(3, byKey.Values.Distinct().Count());
    }

    [Fact]
    public async Task Start_InvalidOptions_FailsNamingField()
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => ClientHost.StartAsync("-A -t 10.255.0.2:50051 -s rr", (_, lb) =>
            lb.AddGrpcLoadBalancing(o => o.HashKeyHeader = "X Key")));

        Assert.Contains("gRPC load balancing: HashKeyHeader must be a metadata key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_ServiceNotInTable_FailsUnavailableWithClearMessage()
    {
        await using var backends = await Backends.StartGrpcAsync();
        await using var app = await ClientHost.StartAsync(backends.Rules(Vip, "rr", 1, 1, 1), (_, lb) => lb.AddGrpcLoadBalancing());
        using var channel = GrpcChannel.ForAddress("lb://10.255.9.9:50051", new GrpcChannelOptions().UseLoadBalancing(app.Services));
        var client = new Echo.EchoClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.WhoAsync(new WhoRequest(), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("Virtual service TCP 10.255.9.9:50051 is not in the service table", error.Status.Detail, StringComparison.Ordinal);
    }

    // Calls until every backend has answered once, so that every subchannel is READY before anything is counted.
    private static async Task WarmUpAsync(Echo.EchoClient client, Backends backends)
    {
        var seen = new HashSet<string>();
        for (var i = 0; i < 300 && seen.Count < backends.All.Length; i++)
        {
            var reply = await client.WhoAsync(new WhoRequest(), new CallOptions(cancellationToken: TestContext.Current.CancellationToken).WithWaitForReady());
            seen.Add(reply.Name);
        }

        Assert.Equal(backends.All.Length, seen.Count);
    }

    private static async Task<List<string>> CallAsync(Echo.EchoClient client, int count)
    {
        var names = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            names.Add((await client.WhoAsync(new WhoRequest(), cancellationToken: TestContext.Current.CancellationToken)).Name);
        }

        return names;
    }

    // The name of the server that answered, or the status code of the failure.
    private static async Task<List<string>> OutcomesAsync(Echo.EchoClient client, int count, TimeSpan? deadline = null)
    {
        var outcomes = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            try
            {
                DateTime? until = deadline is { } d ? DateTime.UtcNow + d : null;
                outcomes.Add((await client.WhoAsync(new WhoRequest(), deadline: until, cancellationToken: TestContext.Current.CancellationToken)).Name);
            }
            catch (RpcException e)
            {
                outcomes.Add(e.StatusCode.ToString());
            }
        }

        return outcomes;
    }
}
