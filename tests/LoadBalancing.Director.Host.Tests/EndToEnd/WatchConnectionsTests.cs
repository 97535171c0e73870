using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using LoadBalancing.Director.Host.Tests.Fixtures;
using LoadBalancing.Grpc;
using LoadBalancing.Grpc.Control;

namespace LoadBalancing.Director.Host.Tests.EndToEnd;

/// <summary>The connection watch and <c>lbadm -Lnc</c> of the real host, for a real client connection through its proxy.</summary>
public sealed class WatchConnectionsTests : HostTestBed
{
    private readonly HttpRealServer _server;

    public WatchConnectionsTests() => _server = Serve("rs1", "127.0.0.2");

    [Fact]
    public async Task WatchConnections_ClientConnectsAndCloses_AddedThenStateChanged()
    {
        await File.WriteAllTextAsync(Path.Combine(WorkDirectory, "rules"), $"-A -t {Vip} -s rr\n-a -t {Vip} -r {_server.EndPoint} -m\n", TestContext.Current.CancellationToken);
        await using var director = await DirectorProcess.StartAsync(WorkDirectory);
        using var channel = DirectorChannel.Create(director.SocketAddress);
        var client = new Grpc.Control.Director.DirectorClient(channel);
        using var call = client.WatchConnections(new WatchConnectionsRequest { IntervalMs = 50 }, cancellationToken: TestContext.Current.CancellationToken);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(Vip, TestContext.Current.CancellationToken);
        var clientPort = (uint)((IPEndPoint)tcp.Client.LocalEndPoint!).Port;

        var added = await NextForAsync(call, clientPort);
        Assert.Equal(ConnectionEventKind.Added, added.Kind);
        Assert.Equal(Protocol.Tcp, added.Entry.Protocol);
        Assert.Equal((uint)Vip.Port, added.Entry.VirtualPort);
        Assert.Equal(_server.EndPoint.Address.GetAddressBytes(), added.Entry.DestinationAddress.ToByteArray());
        Assert.Equal((uint)_server.EndPoint.Port, added.Entry.DestinationPort);

        // lbadm -Lnc (the real process) lists the same connection.
        var listing = await LbadmProcess.RunOkAsync(director.SocketAddress, "-Lnc");
        Assert.Matches($@"TCP\s+\S+\s+{added.Entry.State}\s+127\.0\.0\.1:{clientPort}\s+{System.Text.RegularExpressions.Regex.Escape(Vip.ToString())}\s+{System.Text.RegularExpressions.Regex.Escape(_server.EndPoint.ToString())}", listing);

        tcp.Client.Shutdown(SocketShutdown.Both);
        tcp.Close();
        var changed = await NextForAsync(call, clientPort);
        Assert.Equal(ConnectionEventKind.StateChanged, changed.Kind);
        Assert.NotEqual(added.Entry.State, changed.Entry.State);
    }

    private static async Task<ConnectionEvent> NextForAsync(AsyncServerStreamingCall<ConnectionEvent> call, uint clientPort)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
            if (call.ResponseStream.Current.Entry.ClientPort == clientPort)
            {
                return call.ResponseStream.Current;
            }
        }

        throw new InvalidOperationException("the connection watch ended");
    }
}
