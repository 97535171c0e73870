using Grpc.Core;
using LoadBalancing.Director.Tests.Fakes;
using LoadBalancing.Grpc;
using LoadBalancing.Grpc.Control;

namespace LoadBalancing.Director.Tests.Control;

public sealed class DirectorControlServiceTests
{
    private const string Token = "0123456789abcdef-test-token";

    [Fact]
    public async Task Api_UnixSocket_AddListDelete()
    {
        await using var director = await TestDirector.StartAsync();
        using var channel = DirectorChannel.Create(director.SocketAddress);
        var client = new Grpc.Control.Director.DirectorClient(channel);
        var key = new ServiceKey { Protocol = Protocol.Tcp, Address = Google.Protobuf.ByteString.CopyFrom(10, 1, 2, 3), Port = 443 };

        await client.AddServiceAsync(new ServiceRequest { Service = new Service { Key = key, Scheduler = "lc" } }, cancellationToken: TestContext.Current.CancellationToken);
        await client.AddServerAsync(
            new ServerRequest { Service = key, Server = new RealServer { Address = Google.Protobuf.ByteString.CopyFrom(10, 1, 2, 4), Port = 8443, Method = ForwardingMethod.Masquerade, Weight = 5 } },
            cancellationToken: TestContext.Current.CancellationToken);

        var table = await client.ListAsync(new ListRequest(), cancellationToken: TestContext.Current.CancellationToken);
        var service = Assert.Single(table.Services);
        Assert.Equal("lc", service.Config.Scheduler);
        var server = Assert.Single(service.Servers);
        Assert.Equal(5, server.Weight);
        Assert.Equal(8443u, server.Config.Port);

        await client.DeleteServiceAsync(new ServiceKeyRequest { Service = key }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Empty((await client.ListAsync(new ListRequest(), cancellationToken: TestContext.Current.CancellationToken)).Services);
    }

    [Fact]
    public async Task Api_MalformedAddress_InvalidArgumentAndNothingChanges()
    {
        await using var director = await TestDirector.StartAsync();
        using var channel = DirectorChannel.Create(director.SocketAddress);
        var client = new Grpc.Control.Director.DirectorClient(channel);
        var key = new ServiceKey { Protocol = Protocol.Tcp, Address = Google.Protobuf.ByteString.CopyFrom(10, 1, 2), Port = 80 };

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.AddServiceAsync(new ServiceRequest { Service = new Service { Key = key } }, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("service.address", e.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(director.Table.Table.Services);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token-wrong-token")]
    public async Task Api_TcpWithoutValidToken_UnauthenticatedAndNothingChanges(string? token)
    {
        await using var director = await TestDirector.StartAsync(configure: o =>
        {
            o.ControlTcpEndpoint = "127.0.0.1:0";
            o.BearerToken = Token;
        });

        var result = Lbadm.Run(["--director", director.TcpAddress!.OriginalString, "-A", "-t", "10.0.0.1:80"], environment: new Dictionary<string, string?> { ["LBADM_DIRECTOR_TOKEN"] = token });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not authorized", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(director.Table.Table.Services);
    }

    [Fact]
    public async Task Api_TcpWithToken_Accepted()
    {
        await using var director = await TestDirector.StartAsync(configure: o =>
        {
            o.ControlTcpEndpoint = "127.0.0.1:0";
            o.BearerToken = Token;
        });
        var env = new Dictionary<string, string?> { ["LBADM_DIRECTOR"] = director.TcpAddress!.OriginalString, ["LBADM_DIRECTOR_TOKEN"] = Token };

        Assert.Equal(0, Lbadm.Run(["-A", "-t", "10.0.0.1:80"], environment: env).ExitCode);
        Assert.Single(director.Table.Table.Services);
    }

    [Fact]
    public async Task Watch_Change_StreamsNewTable()
    {
        await using var director = await TestDirector.StartAsync();
        using var channel = DirectorChannel.Create(director.SocketAddress);
        var client = new Grpc.Control.Director.DirectorClient(channel);
        using var call = client.Watch(new WatchRequest(), cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken));
        Assert.Empty(call.ResponseStream.Current.Services);

        director.Lbadm("-A -t 10.0.0.1:80 -s rr");
        Assert.True(await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken));
        Assert.Single(call.ResponseStream.Current.Services);
    }
}
