using System.Net;
using LoadBalancing.Client.Http;
using LoadBalancing.Client.Tests.Fixtures;
using LoadBalancing.Health;
using LoadBalancing.Health.Outliers;
using LoadBalancing.Health.Probes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Client.Tests.Http;

/// <summary>IHttpClientBuilder.AddLoadBalancing against three real Kestrel backends on loopback.</summary>
public sealed class LoadBalancingHandlerTests
{
    // The virtual service's address is only a name for the clients: nothing listens there and nothing is sent to it.
    private const string Vip = "10.255.0.1:80";

    [Fact]
    public async Task Send_WeightedRoundRobin_SplitsExactlyByWeights()
    {
        await using var backends = await Backends.StartHttpAsync();
        await using var app = await ClientHost.StartAsync(backends.Rules(Vip, "wrr", 3, 2, 1), (services, _) =>
            services.AddHttpClient("orders", c => c.BaseAddress = new Uri($"http://{Vip}/")).AddLoadBalancing());
        var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");

        // wrr repeats with a period of (3 + 2 + 1) / gcd = 6 picks: 600 requests are 100 whole periods.
        var names = await SendAsync(client, 600);

        Assert.Equal(300, names.Count(n => n == "a"));
        Assert.Equal(200, names.Count(n => n == "b"));
        Assert.Equal(100, names.Count(n => n == "c"));
        Assert.Equal([300, 200, 100], backends.All.Select(b => b.Calls));
    }

    [Fact]
    public async Task Send_LeastConnection_SkipsServerWithRequestInFlight()
    {
        await using var backends = await Backends.StartHttpAsync();
        await using var app = await ClientHost.StartAsync(backends.Rules(Vip, "lc", 1, 1, 1), (services, _) =>
            services.AddHttpClient("orders", c => c.BaseAddress = new Uri($"http://{Vip}/")).AddLoadBalancing());
        var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");

        // lc takes the first least-loaded server in kernel order (newest first: c, b, a). A request held by c counts
        // as active on c until it ends, so the following requests go to b.
        backends.C.Mode = BackendMode.Hanging;
        using var hold = new CancellationTokenSource();
        var held = client.GetAsync("who", hold.Token);
        await Wait.UntilAsync(() => backends.C.Calls == 1, "the held request reaching c");
        Assert.Equal(1, app.Server(backends.C).ActiveConnections);

        var names = await SendAsync(client, 5);

        Assert.Equal(["b", "b", "b", "b", "b"], names);
        await hold.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);
        Assert.Equal(0, app.Server(backends.C).ActiveConnections);
        backends.C.Mode = BackendMode.Ok;
        Assert.Equal("c", (await SendAsync(client, 1))[0]);
    }

    [Fact]
    public async Task Send_StoppedBackend_RetriedElsewhereEjectedAfterConsecutiveFailuresAndReturnsAfterEjectionTime()
    {
        var time = new FakeTimeProvider();
        await using var backends = await Backends.StartHttpAsync();
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
            services.AddHttpClient("orders", c => c.BaseAddress = new Uri($"http://{Vip}/")).AddLoadBalancing();
        }, time);
        var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");
        var detector = app.Services.GetRequiredService<OutlierDetector>();
        var b = app.Server(backends.B);
        await backends.B.StopAsync();

        // Every request succeeds: a refused connect to b is sent on to the next server. The third refusal ejects b.
        var names = await SendAsync(client, 30);

        Assert.DoesNotContain("b", names);
        Assert.True(detector.IsEjected(b));
        Assert.Equal(0, b.Weight);
        Assert.Equal(15, names.Count(n => n == "a"));
        Assert.Equal(15, names.Count(n => n == "c"));

        // b comes back; it stays out until the first sweep after the ejection time, then rr gives it its third.
        await backends.B.StartAsync();
        Assert.DoesNotContain("b", await SendAsync(client, 6));
        time.Advance(TimeSpan.FromSeconds(40));
        Assert.False(detector.IsEjected(b));
        Assert.Equal(1, b.Weight);
        var after = await SendAsync(client, 30);
        Assert.Equal(10, after.Count(n => n == "b"));
        Assert.Equal(10, backends.B.Calls);
    }

    [Fact]
    public async Task Send_ServerErrors_EjectTheFailingServer()
    {
        var time = new FakeTimeProvider();
        await using var backends = await Backends.StartHttpAsync();
        await using var app = await ClientHost.StartAsync(backends.Rules(Vip, "wrr", 1, 1, 1), (services, lb) =>
        {
            lb.AddOutlierDetection(new OutlierDetectionOptions { ConsecutiveFailures = 2, SuccessRate = null });
            services.Configure<HealthCheckOptions>(o => o.ProbeFactory = _ => null);
            services.AddHttpClient("orders", c => c.BaseAddress = new Uri($"http://{Vip}/")).AddLoadBalancing();
        }, time);
        var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");
        backends.A.Mode = BackendMode.Failing;

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 30; i++)
        {
            using var response = await client.GetAsync("who", TestContext.Current.CancellationToken);
            statuses.Add(response.StatusCode);
        }

        // A 503 is not retried (the request reached the server) but counts: a is out after its second one.
        Assert.Equal(2, statuses.Count(s => s == HttpStatusCode.ServiceUnavailable));
        Assert.Equal(2, backends.A.Calls);
        Assert.True(app.Services.GetRequiredService<OutlierDetector>().IsEjected(app.Server(backends.A)));
    }

    [Fact]
    public async Task Send_HealthCheckDown_ServerGetsNoRequestsUntilUpAgain()
    {
        await using var backends = await Backends.StartHttpAsync();
        await using var app = await ClientHost.StartAsync(backends.Rules(Vip, "rr", 1, 1, 1), (services, lb) =>
        {
            lb.AddHealthChecks(o =>
            {
                o.DefaultPolicy = new HealthCheckPolicy { DelayLoop = TimeSpan.FromMilliseconds(100), Rise = 1, Fall = 1, Jitter = 0 };
                o.ProbeFactory = _ => HealthProbes.Http(new HttpProbeOptions { Path = "/health" });
            });
            services.AddHttpClient("orders", c => c.BaseAddress = new Uri($"http://{Vip}/")).AddLoadBalancing();
        });
        var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");
        var b = app.Server(backends.B);

        backends.B.Healthy = false;
        await Wait.UntilAsync(() => b.Weight == 0, "the health check taking b down");
        var names = await SendAsync(client, 40);

        Assert.Equal(20, names.Count(n => n == "a"));
        Assert.Equal(20, names.Count(n => n == "c"));
        Assert.Equal(0, backends.B.Calls);
        backends.B.Healthy = true;
        await Wait.UntilAsync(() => b.Weight == 1, "the health check bringing b up");
        var after = await SendAsync(client, 30);
        Assert.Equal(10, after.Count(n => n == "b"));
        Assert.Equal(10, backends.B.Calls);
    }

    [Fact]
    public async Task Send_AttemptTimeout_ReportedAsTimeoutAndEjects()
    {
        await using var backends = await Backends.StartHttpAsync();
        await using var app = await ClientHost.StartAsync(backends.Rules(Vip, "rr", 1, 1, 1), (services, lb) =>
        {
            lb.AddOutlierDetection(new OutlierDetectionOptions { ConsecutiveFailures = 2, SuccessRate = null });
            services.Configure<HealthCheckOptions>(o => o.ProbeFactory = _ => null);
            services.AddHttpClient("orders", c => c.BaseAddress = new Uri($"http://{Vip}/"))
                .AddLoadBalancing(o => o.AttemptTimeout = TimeSpan.FromMilliseconds(300));
        });
        var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");
        backends.C.Mode = BackendMode.Hanging;

        var timeouts = 0;
        var names = new List<string>();
        for (var i = 0; i < 15; i++)
        {
            try
            {
                names.Add(await client.GetStringAsync("who", TestContext.Current.CancellationToken));
            }
            catch (TaskCanceledException e) when (e.InnerException is TimeoutException)
            {
                timeouts++;
            }
        }

        Assert.Equal(2, timeouts);
        Assert.Equal(2, backends.C.Calls);
        Assert.Equal(13, names.Count);
        Assert.True(app.Services.GetRequiredService<OutlierDetector>().IsEjected(app.Server(backends.C)));
    }

    [Fact]
    public async Task Send_MaglevWithHashKeyHeader_SameKeySameServer()
    {
        await using var backends = await Backends.StartHttpAsync();
        await using var app = await ClientHost.StartAsync(backends.Rules(Vip, "mh", 1, 1, 1), (services, _) =>
            services.AddHttpClient("orders", c => c.BaseAddress = new Uri($"http://{Vip}/")).AddLoadBalancing(o => o.HashKeyHeader = "x-user"));
        var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");

        var byKey = new Dictionary<string, HashSet<string>>();
        for (var round = 0; round < 3; round++)
        {
            for (var user = 0; user < 30; user++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "who");
                request.Headers.Add("x-user", $"user-{user}");
                using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
                var name = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                (byKey.TryGetValue($"user-{user}", out var set) ? set : byKey[$"user-{user}"] = []).Add(name);
            }
        }

        Assert.All(byKey.Values, servers => Assert.Single(servers));
        Assert.Equal(3, byKey.Values.Select(s => s.Single()).Distinct().Count());
    }

    [Fact]
    public async Task Send_NoServerAvailable_FailsWithClearError()
    {
        await using var backends = await Backends.StartHttpAsync();
        await using var app = await ClientHost.StartAsync(backends.Rules(Vip, "wrr", 0, 0, 0), (services, _) =>
        {
            services.AddHttpClient("orders", c => c.BaseAddress = new Uri($"http://{Vip}/")).AddLoadBalancing();
            services.AddHttpClient("other", c => c.BaseAddress = new Uri("http://10.255.9.9:80/")).AddLoadBalancing();
        });
        var factory = app.Services.GetRequiredService<IHttpClientFactory>();

        var none = await Assert.ThrowsAsync<HttpRequestException>(() => factory.CreateClient("orders").GetAsync("who", TestContext.Current.CancellationToken));
        var missing = await Assert.ThrowsAsync<HttpRequestException>(() => factory.CreateClient("other").GetAsync("who", TestContext.Current.CancellationToken));

        Assert.Contains("No real server of TCP 10.255.0.1:80 is available", none.Message, StringComparison.Ordinal);
        Assert.Contains("Virtual service TCP 10.255.9.9:80 is not in the service table", missing.Message, StringComparison.Ordinal);
        Assert.All(backends.All, backend => Assert.Equal(0, backend.Calls));
    }

    [Fact]
    public async Task Start_InvalidOptions_FailsNamingClientAndField()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => ClientHost.StartAsync("-A -t 10.255.0.1:80 -s rr", (services, _) =>
            services.AddHttpClient("orders").AddLoadBalancing(o => o.MaxConnectRetries = 50)));

        Assert.Contains("HttpClient 'orders' load balancing: MaxConnectRetries must be between 0 and 10, got 50.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddStaticServices_BadRules_FailsWithLineAndColumn()
    {
        var services = new ServiceCollection();

        var error = Assert.Throws<FormatException>(() => services.AddLoadBalancing().AddStaticServices("-A -t 10.255.0.1:80 -s wrr\n-a -t 10.255.0.1:80 -r 127.0.0.1:80 -w lots"));

        Assert.StartsWith("Static services: line 2, column", error.Message, StringComparison.Ordinal);
    }

    private static async Task<List<string>> SendAsync(HttpClient client, int count)
    {
        var names = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            names.Add(await client.GetStringAsync("who", TestContext.Current.CancellationToken));
        }

        return names;
    }
}
