using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using LoadBalancing.Health.Nfs;
using LoadBalancing.Health.Probes;
using LoadBalancing.Health.Tests.Fixtures;

namespace LoadBalancing.Health.Tests.Nfs;

/// <summary>The RPC client against a scripted loopback server that answers with hand-built frames.</summary>
public sealed class NfsMountClientTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetExportsAsync_ReplyInThreeFragments_Reassembled()
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var serving = ServeAsync(server, xid => RpcFrames.AcceptedReply(xid).Exports(("/export", [])).ToArray(), fragments: 3);
        var (exports, error) = await NfsMountClient.GetExportsAsync(IPAddress.Loopback, 0, Port(server), Ct);
        Assert.Null(error);
        Assert.Equal("/export", Assert.Single(exports).Path);
        var call = await serving;
        Assert.Equal([100005u, 3u, 5u], [BinaryPrimitives.ReadUInt32BigEndian(call.AsSpan(12)), BinaryPrimitives.ReadUInt32BigEndian(call.AsSpan(16)), BinaryPrimitives.ReadUInt32BigEndian(call.AsSpan(20))]);
    }

    [Fact]
    public async Task GetExportsAsync_ViaPortmapper_AsksGetPortForMountV3Tcp()
    {
        using var mountd = new TcpListener(IPAddress.Loopback, 0);
        using var portmapper = new TcpListener(IPAddress.Loopback, 0);
        mountd.Start();
        portmapper.Start();
        var pmap = ServeAsync(portmapper, xid => RpcFrames.AcceptedReply(xid).U32((uint)Port(mountd)).ToArray());
        _ = ServeAsync(mountd, xid => RpcFrames.AcceptedReply(xid).Exports(("/a", ["*"])).ToArray());
        var (exports, error) = await NfsMountClient.GetExportsAsync(IPAddress.Loopback, Port(portmapper), 0, Ct);
        Assert.Null(error);
        Assert.Equal("/a", Assert.Single(exports).Path);

        // GETPORT call: program 100000 v2 proc 3, args mapping { 100005, 3, IPPROTO_TCP 6, 0 }.
        var call = await pmap;
        var words = Enumerable.Range(0, call.Length / 4).Select(i => BinaryPrimitives.ReadUInt32BigEndian(call.AsSpan(i * 4))).ToArray();
        Assert.Equal([100000u, 2u, 3u], words[3..6]);
        Assert.Equal([100005u, 3u, 6u, 0u], words[10..14]);
    }

    [Fact]
    public async Task GetExportsAsync_MountNotRegistered_Error()
    {
        using var portmapper = new TcpListener(IPAddress.Loopback, 0);
        portmapper.Start();
        _ = ServeAsync(portmapper, xid => RpcFrames.AcceptedReply(xid).U32(0).ToArray());
        var (_, error) = await NfsMountClient.GetExportsAsync(IPAddress.Loopback, Port(portmapper), 0, Ct);
        Assert.Equal("MOUNT v3/tcp is not registered with the portmapper", error);
    }

    [Fact]
    public async Task ProbeAsync_GarbageReply_DownNotException()
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        _ = ServeAsync(server, xid => RpcFrames.AcceptedReply(xid).U32(1).U32(0x7FFFFFFF).ToArray());
        var probe = HealthProbes.NfsExport(new NfsExportProbeOptions { ExportPath = "/export", MountPort = (ushort)Port(server) });
        var result = await probe.ProbeAsync(FreePort.Loopback(2049), Ct);
        Assert.False(result.IsUp);
        Assert.Contains("malformed", result.Reason);
    }

    [Fact]
    public async Task ProbeAsync_ConnectionClosedMidRecord_Down()
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        _ = ServeRawAsync(server, [0x80, 0x00, 0x01, 0x00, 1, 2, 3]);
        var probe = HealthProbes.NfsExport(new NfsExportProbeOptions { ExportPath = "/export", MountPort = (ushort)Port(server) });
        var result = await probe.ProbeAsync(FreePort.Loopback(2049), Ct);
        Assert.Equal("MOUNT EXPORT: connection closed inside an RPC fragment", result.Reason);
    }

    [Fact]
    public async Task ProbeAsync_ExportMissing_DownListingCount()
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        _ = ServeAsync(server, xid => RpcFrames.AcceptedReply(xid).Exports(("/other", [])).ToArray());
        var probe = HealthProbes.NfsExport(new NfsExportProbeOptions { ExportPath = "/export/", MountPort = (ushort)Port(server) });
        var result = await probe.ProbeAsync(FreePort.Loopback(2049), Ct);
        Assert.Equal("export /export/ not listed (1 exports)", result.Reason);
    }

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>Accepts one connection, reads one record-marked call, answers with <paramref name="reply"/>(xid) split into fragments.</summary>
    private static async Task<byte[]> ServeAsync(TcpListener listener, Func<uint, byte[]> reply, int fragments = 1)
    {
        using var socket = await listener.AcceptSocketAsync(Ct);
        var header = new byte[4];
        await ReceiveExactlyAsync(socket, header);
        var call = new byte[BinaryPrimitives.ReadUInt32BigEndian(header) & 0x7FFFFFFF];
        await ReceiveExactlyAsync(socket, call);
        var body = reply(BinaryPrimitives.ReadUInt32BigEndian(call));
        var size = (body.Length + fragments - 1) / fragments;
        for (var offset = 0; offset < body.Length; offset += size)
        {
            var length = Math.Min(size, body.Length - offset);
            var last = offset + length >= body.Length;
            var marker = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(marker, (last ? 0x80000000u : 0) | (uint)length);
            await socket.SendAsync(marker, SocketFlags.None, Ct);
            await socket.SendAsync(body.AsMemory(offset, length), SocketFlags.None, Ct);
        }

        return call;
    }

    private static async Task ServeRawAsync(TcpListener listener, byte[] raw)
    {
        using var socket = await listener.AcceptSocketAsync(Ct);
        var buffer = new byte[512];
        await socket.ReceiveAsync(buffer, SocketFlags.None, Ct);
        await socket.SendAsync(raw, SocketFlags.None, Ct);
        socket.Shutdown(SocketShutdown.Both);
    }

    private static async Task ReceiveExactlyAsync(Socket socket, byte[] buffer)
    {
        for (var read = 0; read < buffer.Length;)
        {
            read += await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, Ct);
        }
    }
}
