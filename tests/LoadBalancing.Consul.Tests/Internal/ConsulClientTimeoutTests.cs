using System.Net;
using System.Net.Sockets;
using LoadBalancing.Consul.Tests.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Consul.Tests.Internal;

/// <summary>Per-call timeouts on the client's TimeProvider; HttpClient.Timeout itself is infinite.</summary>
public sealed class ConsulClientTimeoutTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetKeyAsync_Blocking_TimesOutOnlyAfterWaitPlusSixteenthPlusMargin()
    {
        var time = new FakeTimeProvider();
        await using var server = new ConsulTestServer();                    // no script: the query is held
        using var client = server.CreateClient(time, configure: o => o with { BlockingTimeoutMargin = TimeSpan.FromSeconds(10) });

        // wait 5 min → 300 s + 18.75 s + 10 s. HttpClient's default 100 s would have killed it long before.
        var call = client.GetKeyAsync("k", new QueryOptions { Index = 3, Wait = TimeSpan.FromMinutes(5) }, Ct);
        await server.NextRequestAsync();
        Assert.Equal(Timeout.InfiniteTimeSpan, GetHttpClientTimeout(client));
        time.Advance(TimeSpan.FromSeconds(328.75) - TimeSpan.FromTicks(1));
        Assert.False(call.IsCompleted);
        time.Advance(TimeSpan.FromTicks(1));

        var e = await Assert.ThrowsAsync<TimeoutException>(() => call.WaitAsync(TimeSpan.FromSeconds(20), Ct));
        Assert.IsAssignableFrom<OperationCanceledException>(e.InnerException);
    }

    [Fact]
    public async Task RegisterServiceAsync_AgentSilent_TimesOutAfterRequestTimeout()
    {
        var time = new FakeTimeProvider();
        await using var server = new ConsulTestServer();
        using var client = server.CreateClient(time, configure: o => o with { RequestTimeout = TimeSpan.FromSeconds(10) });

        var call = client.RegisterServiceAsync(new Consul.Model.ServiceRegistration { Name = "web" }, cancellationToken: Ct);
        await server.NextRequestAsync();
        time.Advance(TimeSpan.FromSeconds(10));

        // The client's timeout carries the cancelled request; WaitAsync's own (the call never ending) would not.
        var e = await Assert.ThrowsAsync<TimeoutException>(() => call.WaitAsync(TimeSpan.FromSeconds(20), Ct));
        Assert.IsAssignableFrom<OperationCanceledException>(e.InnerException);
    }

    [Fact]
    public async Task GetKeyAsync_CallerCancels_ThrowsOperationCanceledNotTimeout()
    {
        await using var server = new ConsulTestServer();
        using var client = server.CreateClient();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var call = client.GetKeyAsync("k", new QueryOptions { Index = 3 }, cts.Token);
        await server.NextRequestAsync();
        await cts.CancelAsync();

        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(20), Ct));
        Assert.IsNotType<TimeoutException>(e);
    }

    [Fact]
    public async Task GetKeyAsync_AgentDown_ThrowsHttpRequestException()
    {
        // A port bound but never listening: the kernel refuses connections to it, and no other test (or process) can
        // take it meanwhile, as it could a port freed by a disposed server.
        using var down = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        down.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)down.LocalEndPoint!).Port;

        using var client = new Consul.Internal.ConsulClient(new ConsulClientOptions { Address = new Uri($"http://127.0.0.1:{port}/") });

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetKeyAsync("k", cancellationToken: Ct));
        Assert.Equal(HttpRequestError.ConnectionError, e.HttpRequestError);
    }

    private static TimeSpan GetHttpClientTimeout(Consul.Internal.ConsulClient client)
    {
        var field = typeof(Consul.Internal.ConsulClient).GetField("_http", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        return ((HttpClient)field.GetValue(client)!).Timeout;
    }
}
