using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using LoadBalancing.Health.Probes;
using LoadBalancing.Health.Tests.Fixtures;

namespace LoadBalancing.Health.Tests.Probes;

public sealed class DnsProbeTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public void WriteQuery_ExampleComTypeA_Rfc1035Bytes()
    {
        var buffer = new byte[300];
        var length = DnsMessage.WriteQuery(buffer, 0x1234, "example.com.", 1);

        // ID, flags with only RD (0x0100), QDCOUNT 1, AN/NS/AR 0, QNAME as length-prefixed labels, QTYPE A, QCLASS IN.
        byte[] expected =
        [
            0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 3, (byte)'c', (byte)'o', (byte)'m', 0,
            0x00, 0x01, 0x00, 0x01,
        ];
        Assert.Equal(expected, buffer[..length]);
    }

    [Fact]
    public void WriteQuery_RootName_SingleZeroLabel()
    {
        var buffer = new byte[300];
        var length = DnsMessage.WriteQuery(buffer, 1, ".", 6);
        Assert.Equal(new byte[] { 0, 0x00, 0x06, 0x00, 0x01 }, buffer[12..length]);
    }

    [Fact]
    public void CheckReply_QueryEchoedWithoutQr_Ignored()
        => Assert.Null(DnsMessage.CheckReply([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0], 0x1234, false));

    [Fact]
    public async Task ProbeAsync_NoError_Up()
    {
        using var server = Bind();
        var responder = RespondAsync(server, rcode: 0, answers: 1);
        var result = await HealthProbes.Dns(new DnsProbeOptions { Name = "lb.test", QueryType = 1, RequireAnswer = true }).ProbeAsync(Target(server), Ct);
        Assert.True(result.IsUp, result.ToString());
        Assert.Equal("lb.test", await responder);
    }

    [Fact]
    public async Task ProbeAsync_NxDomain_DownWithRcode()
    {
        using var server = Bind();
        _ = RespondAsync(server, rcode: 3, answers: 0);
        var result = await HealthProbes.Dns(new DnsProbeOptions { Name = "nope.test" }).ProbeAsync(Target(server), Ct);
        Assert.Equal("DNS RCODE 3", result.Reason);
    }

    [Fact]
    public async Task ProbeAsync_StrayIdThenReply_StrayIgnored()
    {
        using var server = Bind();
        _ = RespondAsync(server, rcode: 0, answers: 0, strayFirst: true);
        var result = await HealthProbes.Dns(new DnsProbeOptions()).ProbeAsync(Target(server), Ct);
        Assert.True(result.IsUp, result.ToString());
    }

    [Fact]
    public async Task ProbeAsync_NoAnswerRequired_DownWhenEmpty()
    {
        using var server = Bind();
        _ = RespondAsync(server, rcode: 0, answers: 0);
        var result = await HealthProbes.Dns(new DnsProbeOptions { RequireAnswer = true }).ProbeAsync(Target(server), Ct);
        Assert.Equal("DNS reply has no answer", result.Reason);
    }

    private static Socket Bind()
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return server;
    }

    private static ProbeTarget Target(Socket server) => FreePort.Loopback(((IPEndPoint)server.LocalEndPoint!).Port);

    /// <summary>Answers one query by hand: same ID, QR|RD|RA plus <paramref name="rcode"/>, the question copied, ANCOUNT as given.</summary>
    private static async Task<string> RespondAsync(Socket server, int rcode, ushort answers, bool strayFirst = false)
    {
        var buffer = new byte[512];
        var from = await server.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), Ct);
        var reply = buffer[..from.ReceivedBytes];
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(2), (ushort)(0x8180 | rcode));
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(6), answers);
        if (strayFirst)
        {
            var stray = (byte[])reply.Clone();
            stray[0] ^= 0xFF;
            await server.SendToAsync(stray, from.RemoteEndPoint, Ct);
        }

        await server.SendToAsync(reply, from.RemoteEndPoint, Ct);
        var labels = new List<string>();
        for (var i = 12; reply[i] != 0; i += reply[i] + 1)
        {
            labels.Add(System.Text.Encoding.ASCII.GetString(reply, i + 1, reply[i]));
        }

        return string.Join('.', labels);
    }
}
