using System.Buffers.Binary;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Forwarding.Linux.Bpf;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

/// <summary>
/// Golden frames for the hand-assembled XDP program, run by the kernel itself (<c>BPF_PROG_TEST_RUN</c>): the
/// verifier accepts it, a flow in the map is forwarded with <c>XDP_TX</c> and rewritten MACs and counted, and
/// everything user space must see passes unchanged.
/// </summary>
public sealed class XdpProgramTests : IDisposable
{
    private const string DirectorMac = "02:77:00:00:00:02";
    private const string ClientMac = "02:77:00:00:00:0a";
    private const string ServerMac = "02:77:00:00:00:15";

    private readonly SafeFileDescriptor? _map;
    private readonly SafeFileDescriptor? _program;

    public XdpProgramTests()
    {
        if (OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess && BpfSystemCall.SystemCallNumber != 0)
        {
            try
            {
                _map = BpfSystemCall.CreateMap(BpfSystemCall.MapTypeLruHash, XdpFlowKey.Length, XdpFlowValue.Length, 64, "lb_test_flows");
                _program = BpfSystemCall.LoadProgram(BpfSystemCall.ProgramTypeXdp, XdpProgram.Build(_map.Descriptor), BpfSystemCall.AttachTypeXdp, "lb_test_xdp");
            }
            catch (BpfException) when (_program is null && _map is not null)
            {
                throw; // the verifier refused the program: that is a failure, not a skip
            }
            catch (BpfException)
            {
                // bpf() refused: RequireOrSkip reports it
            }
        }
    }

    public void Dispose()
    {
        _program?.Dispose();
        _map?.Dispose();
    }

    [Fact]
    public void TcpSegmentOfKnownFlow_IsTransmittedWithRewrittenMacsAndCounted()
    {
        XdpTestSupport.RequireOrSkip();
        AddFlow(ServiceProtocol.Tcp, "10.77.0.10", 40000, 80);
        var frame = new FrameBuilder().Ethernet(DirectorMac, ClientMac).Tcp(40000, 80, flags: 0x18).Payload("GET / HTTP/1.1\r\n\r\n").Build();

        var (verdict, output) = Run(frame);

        Assert.Equal(XdpProgram.Transmit, verdict);
        Assert.Equal(FrameBuilder.Mac(ServerMac), output[..6]);
        Assert.Equal(FrameBuilder.Mac(DirectorMac), output[6..12]);
        Assert.Equal(frame[12..], output[12..]); // IP and TCP untouched, checksums included
        var value = ReadFlow(ServiceProtocol.Tcp, "10.77.0.10", 40000, 80);
        Assert.Equal(1UL, value.Packets);
        Assert.Equal((ulong)(frame.Length - 14), value.Bytes);
        Assert.NotEqual(0UL, value.LastSeenNanoseconds);

        Run(frame);
        Assert.Equal(2UL, ReadFlow(ServiceProtocol.Tcp, "10.77.0.10", 40000, 80).Packets);
    }

    [Fact]
    public void UdpDatagramOfKnownFlow_IsTransmitted()
    {
        XdpTestSupport.RequireOrSkip();
        AddFlow(ServiceProtocol.Udp, "10.77.0.10", 5353, 5001);
        var frame = new FrameBuilder().Ethernet(DirectorMac, ClientMac).Udp(5353, 5001).Payload("hello").Build();

        var (verdict, output) = Run(frame);

        Assert.Equal(XdpProgram.Transmit, verdict);
        Assert.Equal(FrameBuilder.Mac(ServerMac), output[..6]);
        Assert.Equal(1UL, ReadFlow(ServiceProtocol.Udp, "10.77.0.10", 5353, 5001).Packets);
    }

    [Theory]
    [InlineData("other client port", 40001, 80, 0x10)]
    [InlineData("other virtual port", 40000, 443, 0x10)]
    [InlineData("SYN", 40000, 80, 0x02)]
    [InlineData("FIN", 40000, 80, 0x11)]
    [InlineData("RST", 40000, 80, 0x04)]
    [InlineData("RST+ACK", 40000, 80, 0x14)]
    public void TcpSegmentNotForTheFastPath_PassesUnchanged(string what, ushort clientPort, ushort virtualPort, byte flags)
    {
        XdpTestSupport.RequireOrSkip();
        AddFlow(ServiceProtocol.Tcp, "10.77.0.10", 40000, 80);
        var frame = new FrameBuilder().Ethernet(DirectorMac, ClientMac).Tcp(clientPort, virtualPort, flags).Build();

        var (verdict, output) = Run(frame);

        Assert.True(verdict == XdpProgram.Pass, what);
        Assert.Equal(frame, output);
        Assert.Equal(0UL, ReadFlow(ServiceProtocol.Tcp, "10.77.0.10", 40000, 80).Packets);
    }

    public static TheoryData<string, byte[]> OddFrames()
    {
        static FrameBuilder Flow() => new FrameBuilder().Ethernet(DirectorMac, ClientMac).Tcp(40000, 80, flags: 0x10).Payload("data");
        var valid = Flow().Build();
        var longerThanFrame = (byte[])valid.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(longerThanFrame.AsSpan(16), (ushort)(valid.Length - 14 + 10));
        return new TheoryData<string, byte[]>
        {
            { "IP options", Flow().IPv4HeaderLength(6).Build() },
            { "first fragment (MF)", Flow().Fragment(0x2000).Build() },
            { "later fragment", Flow().Fragment(0x0010).Build() },
            { "truncated TCP header", valid[..44] },
            { "truncated IP header", valid[..30] },
            { "Ethernet header only", valid[..14] },
            { "IP length beyond the frame", longerThanFrame },
            { "IPv6", new FrameBuilder().Ethernet(DirectorMac, ClientMac).Ip("fd77::10", "fd77::100").Tcp(40000, 80, flags: 0x10).Build() },
            { "ARP", Flow().EtherType(0x0806).Build() },
            { "ICMP", Flow().Protocol(1).Build() },
            { "not for the director's MAC", new FrameBuilder().Ethernet("02:77:00:00:00:99", ClientMac).Tcp(40000, 80, flags: 0x10).Payload("data").Build() },
        };
    }

    [Theory]
    [MemberData(nameof(OddFrames))]
    public void OddFrame_PassesUnchanged(string what, byte[] frame)
    {
        XdpTestSupport.RequireOrSkip();
        AddFlow(ServiceProtocol.Tcp, "10.77.0.10", 40000, 80);

        var (verdict, output) = Run(frame);

        Assert.True(verdict == XdpProgram.Pass, $"{what}: verdict {verdict}");
        Assert.Equal(frame, output);
        Assert.Equal(0UL, ReadFlow(ServiceProtocol.Tcp, "10.77.0.10", 40000, 80).Packets);
    }

    [Fact]
    public void LoadProgram_VerifierRefuses_ExceptionCarriesTheVerifierLog()
    {
        XdpTestSupport.RequireOrSkip();

        // A packet read without the data_end check the verifier requires.
        var code = new EbpfAssembler()
            .Load(EbpfAssembler.Size.Word, EbpfAssembler.R2, EbpfAssembler.R1, 0)
            .Load(EbpfAssembler.Size.Byte, EbpfAssembler.R0, EbpfAssembler.R2, 0)
            .Exit()
            .Build();

        var ex = Assert.Throws<BpfException>(() => BpfSystemCall.LoadProgram(BpfSystemCall.ProgramTypeXdp, code, BpfSystemCall.AttachTypeXdp, "lb_bad"));

        Assert.Contains("BPF_PROG_LOAD of 'lb_bad' failed", ex.Message);
        Assert.Contains("verifier log", ex.Message);
        Assert.Contains("invalid access to packet", ex.Message);
    }

    private void AddFlow(ServiceProtocol protocol, string client, ushort clientPort, ushort virtualPort)
    {
        var key = XdpFlowKey.Create(protocol, NetworkAddress.Parse(client), clientPort, NetworkAddress.Parse("10.77.0.100"), virtualPort);
        var value = XdpFlowValue.Create(MacAddress.Parse(ServerMac), MacAddress.Parse(DirectorMac));
        BpfSystemCall.Update(_map!, in key, in value);
    }

    private XdpFlowValue ReadFlow(ServiceProtocol protocol, string client, ushort clientPort, ushort virtualPort)
    {
        var key = XdpFlowKey.Create(protocol, NetworkAddress.Parse(client), clientPort, NetworkAddress.Parse("10.77.0.100"), virtualPort);
        Assert.True(BpfSystemCall.Lookup(_map!, in key, out XdpFlowValue value));
        return value;
    }

    private (uint Verdict, byte[] Output) Run(byte[] frame)
    {
        var output = new byte[4096];
        var verdict = BpfSystemCall.TestRun(_program!, frame, output, out var length);
        return (verdict, output[..length]);
    }
}
