using Grpc.Core;
using LoadBalancing.Grpc;
using LoadBalancing.Grpc.Control;
using LoadBalancing.Grpc.Registry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Director.Tests.Discovery;

/// <summary>The embedded registry in a real director host, driven over the control API's Unix socket, on fake time.</summary>
public sealed class EmbeddedRegistryTests
{
    private const string Token = "0123456789abcdef-registry-token";
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static Instance Web(string id, string address, uint weight = 3, ulong ttlMs = 10_000, ulong deregisterMs = 60_000) => new()
    {
        Id = id, Name = "web", Address = address, Port = 80, Tags = { "lb.vs=tcp:192.168.1.254:80" }, Meta = { ["lb-forward"] = "masq" },
        WeightPassing = weight, WeightWarning = 1, TtlMs = ttlMs, DeregisterCriticalAfterMs = deregisterMs,
    };

    [Fact]
    public async Task Register_ThenHeartbeat_QuiescedUntilFirstHeartbeatThenWeighted()
    {
        await using var director = await RegistryDirector.StartAsync();

        await director.Registry.RegisterAsync(new RegisterRequest { Instance = Web("web-1", "10.0.0.11") }, cancellationToken: Ct);
        var server = Assert.Single(Assert.Single((await director.NextTableAsync(t => t.Services.Count == 1)).Services).Servers);
        Assert.Equal(0, server.Weight);                       // critical until the first heartbeat, like a Consul check
        Assert.Equal(ForwardingMethod.Masquerade, server.Config.Method);

        var reply = await director.Registry.HeartbeatAsync(new HeartbeatRequest { Id = "web-1", Status = Grpc.Registry.HealthStatus.Passing }, cancellationToken: Ct);
        Assert.Equal(10_000UL, reply.TtlMs);
        await director.NextTableAsync(t => Weights(t).SequenceEqual([3]));

        await director.Registry.HeartbeatAsync(new HeartbeatRequest { Id = "web-1", Status = Grpc.Registry.HealthStatus.Warning, Output = "slow" }, cancellationToken: Ct);
        await director.NextTableAsync(t => Weights(t).SequenceEqual([1]));
    }

    [Fact]
    public async Task Heartbeat_Overdue_CriticalQuiescedThenRemovedAfterDeregisterCriticalAfter()
    {
        await using var director = await RegistryDirector.StartAsync();
        await director.Registry.RegisterAsync(new RegisterRequest { Instance = Web("web-1", "10.0.0.11", ttlMs: 10_000, deregisterMs: 30_000) }, cancellationToken: Ct);
        await director.Registry.RegisterAsync(new RegisterRequest { Instance = Web("web-2", "10.0.0.12", ttlMs: 10_000, deregisterMs: 30_000) }, cancellationToken: Ct);
        await director.Registry.HeartbeatAsync(new HeartbeatRequest { Id = "web-1" }, cancellationToken: Ct);
        await director.Registry.HeartbeatAsync(new HeartbeatRequest { Id = "web-2" }, cancellationToken: Ct);
        await director.NextTableAsync(t => Weights(t).SequenceEqual([3, 3]));

        director.Time.Advance(TimeSpan.FromSeconds(6));
        await director.Registry.HeartbeatAsync(new HeartbeatRequest { Id = "web-1" }, cancellationToken: Ct);
        director.Time.Advance(TimeSpan.FromSeconds(4));       // web-2: 10 s without a heartbeat
        await director.NextTableAsync(t => Weights(t).SequenceEqual([3, 0]));
        var listed = await director.Registry.ListAsync(new ListInstancesRequest(), cancellationToken: Ct);
        Assert.Equal(Grpc.Registry.HealthStatus.Critical, listed.Instances.Single(i => i.Instance.Id == "web-2").Status);
        Assert.Contains("TTL", listed.Instances.Single(i => i.Instance.Id == "web-2").Output, StringComparison.Ordinal);

        director.Time.Advance(TimeSpan.FromSeconds(5));
        await director.Registry.HeartbeatAsync(new HeartbeatRequest { Id = "web-1" }, cancellationToken: Ct);
        director.Time.Advance(TimeSpan.FromSeconds(8));
        await director.Registry.HeartbeatAsync(new HeartbeatRequest { Id = "web-1" }, cancellationToken: Ct);
        director.Time.Advance(TimeSpan.FromSeconds(8));
        await director.Registry.HeartbeatAsync(new HeartbeatRequest { Id = "web-1" }, cancellationToken: Ct);
        director.Time.Advance(TimeSpan.FromSeconds(9));       // web-2 critical for 30 s
        var table = await director.NextTableAsync(t => Assert.Single(t.Services).Servers.Count == 1);
        Assert.Equal([3], Weights(table));

        var e = await Assert.ThrowsAsync<RpcException>(async () => await director.Registry.HeartbeatAsync(new HeartbeatRequest { Id = "web-2" }, cancellationToken: Ct));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Contains("register it again", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Maintenance_Quiesces_DeregisterRemoves()
    {
        await using var director = await RegistryDirector.StartAsync();
        var instance = Web("web-1", "10.0.0.11");
        instance.InitialStatus = Grpc.Registry.HealthStatus.Passing;
        await director.Registry.RegisterAsync(new RegisterRequest { Instance = instance }, cancellationToken: Ct);
        await director.NextTableAsync(t => Weights(t).SequenceEqual([3]));

        await director.Registry.SetMaintenanceAsync(new MaintenanceRequest { Id = "web-1", Enable = true, Reason = "kernel update" }, cancellationToken: Ct);
        await director.NextTableAsync(t => Weights(t).SequenceEqual([0]));
        Assert.Equal("kernel update", Assert.Single((await director.Registry.ListAsync(new ListInstancesRequest(), cancellationToken: Ct)).Instances).MaintenanceReason);

        await director.Registry.SetMaintenanceAsync(new MaintenanceRequest { Id = "web-1", Enable = false }, cancellationToken: Ct);
        await director.NextTableAsync(t => Weights(t).SequenceEqual([3]));

        Assert.True((await director.Registry.DeregisterAsync(new DeregisterRequest { Id = "web-1" }, cancellationToken: Ct)).Existed);
        await director.NextTableAsync(t => t.Services.Count == 0);
        Assert.False((await director.Registry.DeregisterAsync(new DeregisterRequest { Id = "web-1" }, cancellationToken: Ct)).Existed);
    }

    [Theory]
    [InlineData("address", "instance.address")]
    [InlineData("tag", "instance.tags[0]")]
    [InlineData("ttl", "instance.ttl_ms")]
    [InlineData("id", "instance.id")]
    [InlineData("forward", "instance.meta[lb-forward]")]
    public async Task Register_Invalid_InvalidArgumentNamingTheFieldAndNothingRegistered(string what, string field)
    {
        await using var director = await RegistryDirector.StartAsync();
        var instance = Web("web-1", "10.0.0.11");
        switch (what)
        {
            case "address": instance.Address = "web.example"; break;
            case "tag": instance.Tags[0] = "lb.vs=tcp:192.168.1.254"; break;
            case "ttl": instance.TtlMs = 10; break;
            case "id": instance.Id = "web/1"; break;
            default: instance.Meta["lb-forward"] = "smoke"; break;
        }

        var e = await Assert.ThrowsAsync<RpcException>(async () => await director.Registry.RegisterAsync(new RegisterRequest { Instance = instance }, cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.StartsWith(field + ":", e.Status.Detail, StringComparison.Ordinal);
        Assert.Empty((await director.Registry.ListAsync(new ListInstancesRequest(), cancellationToken: Ct)).Instances);
    }

    [Fact]
    public async Task Register_OverTcpWithoutToken_UnauthenticatedWithToken_Accepted()
    {
        await using var director = await RegistryDirector.StartAsync(tcp: true);
        using var anonymous = DirectorChannel.Create(director.TcpAddress!.OriginalString);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await new Registry.RegistryClient(anonymous).RegisterAsync(new RegisterRequest { Instance = Web("web-1", "10.0.0.11") }, cancellationToken: Ct));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);

        using var authorized = DirectorChannel.Create(director.TcpAddress!.OriginalString, Token);
        await new Registry.RegistryClient(authorized).RegisterAsync(new RegisterRequest { Instance = Web("web-1", "10.0.0.11") }, cancellationToken: Ct);
        Assert.Single((await director.Registry.ListAsync(new ListInstancesRequest(), cancellationToken: Ct)).Instances);
    }

    // Ordered by address: listings show IPVS's destination order (newest first).
    private static int[] Weights(Table table) => [.. table.Services.SelectMany(s => s.Servers).OrderBy(s => s.Config.Address.ToBase64()).Select(s => s.Weight)];

    /// <summary>A director host with the embedded registry, a fake clock, and clients on its Unix socket.</summary>
    private sealed class RegistryDirector : IAsyncDisposable
    {
        private readonly IHost _host;
        private readonly string _directory;
        private readonly GrpcChannelHolder _channel;
        private readonly AsyncServerStreamingCall<Table> _watch;

        private RegistryDirector(IHost host, string directory, FakeTimeProvider time, Uri? tcp)
        {
            _host = host;
            _directory = directory;
            Time = time;
            TcpAddress = tcp;
            _channel = new GrpcChannelHolder(DirectorChannel.Create("unix:" + Path.Combine(directory, "director.sock")));
            Registry = new Registry.RegistryClient(_channel.Channel);
            _watch = new Grpc.Control.Director.DirectorClient(_channel.Channel).Watch(new WatchRequest(), cancellationToken: Ct);
        }

        public FakeTimeProvider Time { get; }

        public Uri? TcpAddress { get; }

        public Registry.RegistryClient Registry { get; }

        public static async Task<RegistryDirector> StartAsync(bool tcp = false)
        {
            var directory = Directory.CreateTempSubdirectory("lbdir-registry-").FullName;
            var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-30T05:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Services.AddSingleton<TimeProvider>(time);
            builder.Services.AddLoadBalancing()
                .AddDirector(o =>
                {
                    o.ControlSocketPath = Path.Combine(directory, "director.sock");
                    o.WatchRulesFile = false;
                    o.ReloadOnSighup = false;
                    if (tcp)
                    {
                        o.ControlTcpEndpoint = "127.0.0.1:0";
                        o.BearerToken = Token;
                    }
                })
                .AddEmbeddedRegistry();
            var host = builder.Build();
            await host.StartAsync(Ct);
            return new RegistryDirector(host, directory, time, host.Services.GetRequiredService<LoadBalancing.Director.Control.ControlApiHost>().TcpAddress);
        }

        /// <summary>The next table from the control API's watch stream that satisfies <paramref name="until"/>.</summary>
        public async Task<Table> NextTableAsync(Func<Table, bool> until)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            while (await _watch.ResponseStream.MoveNext(timeout.Token))
            {
                if (until(_watch.ResponseStream.Current))
                {
                    return _watch.ResponseStream.Current;
                }
            }

            throw new InvalidOperationException("the watch ended");
        }

        public async ValueTask DisposeAsync()
        {
            _watch.Dispose();
            _channel.Dispose();
            await _host.StopAsync(Ct);
            _host.Dispose();
            Directory.Delete(_directory, recursive: true);
        }
    }

    private sealed class GrpcChannelHolder(global::Grpc.Net.Client.GrpcChannel channel) : IDisposable
    {
        public global::Grpc.Net.Client.GrpcChannel Channel => channel;

        public void Dispose() => channel.Dispose();
    }
}
