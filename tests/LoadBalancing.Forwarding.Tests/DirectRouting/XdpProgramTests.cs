using System.Buffers.Binary;
using System.Runtime.InteropServices;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Forwarding.Linux.Bpf;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

/// <summary>The golden frames of <see cref="FastPathProgramTests"/> for the XDP program (<c>XDP_TX</c> / <c>XDP_PASS</c>).</summary>
public sealed class XdpProgramTests() : FastPathProgramTests(XdpMode.Generic)
{
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

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void LoadProgram_SignalsArriveDuringVerification_EveryLoadSucceeds()
    {
        XdpTestSupport.RequireOrSkip();

        // The verifier gives up with EAGAIN when a signal is pending for the loading thread (a child process's
        // SIGCHLD, say): here SIGWINCH, with a handler so that it is delivered, sent to this thread over and over.
        using var handler = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => { });
        using var map = BpfSystemCall.CreateMap(BpfSystemCall.MapTypeLruHash, XdpFlowKey.Length, XdpFlowValue.Length, 1024, "lb_test_flows");
        var code = XdpProgram.Build(map.Descriptor, XdpMode.Generic);
        var thread = GetThreadId();
        var process = Environment.ProcessId;
        var signals = 0;
        var stop = false;
        var sender = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                Assert.Equal(0, SendToThread(process, thread, Sigwinch));
                signals++;
                Thread.SpinWait(100);
            }
        });
        sender.Start();
        try
        {
            for (var i = 0; i < 100; i++)
            {
                using var program = BpfSystemCall.LoadProgram(BpfSystemCall.ProgramTypeXdp, code, BpfSystemCall.AttachTypeXdp, "lb_signalled");
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            sender.Join();
        }

        Assert.True(signals > 100, $"{signals} signals"); // the loads did meet signals
    }

    private const int Sigwinch = 28;

#pragma warning disable SYSLIB1054 // DllImport: LibraryImport would need AllowUnsafeBlocks in this project.
    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetThreadId();

    [DllImport("libc", EntryPoint = "tgkill", SetLastError = true)]
    private static extern int SendToThread(int process, int thread, int signal);
#pragma warning restore SYSLIB1054
}

/// <summary>
/// The golden frames of <see cref="FastPathProgramTests"/> for the tcx classifier (<c>TC_ACT_REDIRECT</c> /
/// <c>TCX_NEXT</c>), built with the virtual address maps holding the lab's VIPs: every pass runs its marking exit,
/// which must leave verdicts and frames as they were (the mark itself, <c>skb->pkt_type</c>, is not visible here).
/// </summary>
public sealed class TcProgramTests() : FastPathProgramTests(XdpMode.Tc);

/// <summary>
/// Golden frames for the hand-assembled fast-path program, run by the kernel itself (<c>BPF_PROG_TEST_RUN</c>): the
/// verifier accepts it, a flow in the map is forwarded (<c>XDP_TX</c>, or <c>bpf_redirect</c> for the classifier)
/// with rewritten MACs and counted, and everything user space must see passes unchanged.
/// </summary>
public abstract class FastPathProgramTests : IDisposable
{
    internal const string DirectorMac = "02:77:00:00:00:02";
    internal const string ClientMac = "02:77:00:00:00:0a";
    internal const string ServerMac = "02:77:00:00:00:15";

    private readonly SafeFileDescriptor? _map;
    private readonly SafeFileDescriptor? _program;
    private readonly TcVirtualAddressMaps? _virtualAddresses;

    protected FastPathProgramTests(XdpMode mode)
    {
        Mode = mode;
        if (OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess && BpfSystemCall.SystemCallNumber != 0)
        {
            try
            {
                _map = BpfSystemCall.CreateMap(BpfSystemCall.MapTypeLruHash, XdpFlowKey.Length, XdpFlowValue.Length, 64, "lb_test_flows");
                if (mode == XdpMode.Tc)
                {
                    _virtualAddresses = TcVirtualAddressMaps.Create();
                    _virtualAddresses.Set([NetworkAddress.Parse("10.77.0.100"), NetworkAddress.Parse("fd77::100")]);
                }

                _program = mode == XdpMode.Tc
                    ? BpfSystemCall.LoadProgram(BpfSystemCall.ProgramTypeSchedClassifier, XdpProgram.Build(_map.Descriptor, mode, virtualAddresses: _virtualAddresses), 0, "lb_test_tc")
                    : BpfSystemCall.LoadProgram(BpfSystemCall.ProgramTypeXdp, XdpProgram.Build(_map.Descriptor, mode), BpfSystemCall.AttachTypeXdp, "lb_test_xdp");
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

    private XdpMode Mode { get; }

    private uint Forwarded => Mode == XdpMode.Tc ? XdpProgram.TcRedirect : XdpProgram.Transmit;

    private uint Passed => Mode == XdpMode.Tc ? unchecked((uint)XdpProgram.TcxNext) : XdpProgram.Pass;

    public void Dispose()
    {
        _program?.Dispose();
        _virtualAddresses?.Dispose();
        _map?.Dispose();
        GC.SuppressFinalize(this);
    }

    public static TheoryData<string, ushort, ushort, byte> TcpSegmentsNotForTheFastPath() => new()
    {
        { "other client port", 40001, 80, 0x10 },
        { "other virtual port", 40000, 443, 0x10 },
        { "SYN", 40000, 80, 0x02 },
        { "SYN+FIN", 40000, 80, 0x03 },
        { "SYN+RST", 40000, 80, 0x06 },
    };

    [Fact]
    public void TcpSegmentOfKnownFlow_IsTransmittedWithRewrittenMacsAndCounted()
    {
        XdpTestSupport.RequireOrSkip();
        AddFlow(ServiceProtocol.Tcp, "10.77.0.10", 40000, 80);
        var frame = new FrameBuilder().Ethernet(DirectorMac, ClientMac).Tcp(40000, 80, flags: 0x18).Payload("GET / HTTP/1.1\r\n\r\n").Build();

        var (verdict, output) = Run(frame);

        Assert.Equal(Forwarded, verdict);
        Assert.Equal(FrameBuilder.Mac(ServerMac), output[..6]);
        Assert.Equal(FrameBuilder.Mac(DirectorMac), output[6..12]);
        Assert.Equal(frame[12..], output[12..]); // IP and TCP untouched, checksums included
        var value = ReadFlow(ServiceProtocol.Tcp, "10.77.0.10", 40000, 80);
        Assert.Equal(1UL, value.Packets);
        Assert.Equal((ulong)(frame.Length - 14), value.Bytes);

        Run(frame);
        Assert.Equal(2UL, ReadFlow(ServiceProtocol.Tcp, "10.77.0.10", 40000, 80).Packets);
    }

    [Theory]
    [InlineData("FIN+ACK", 0x11, 1, 0)]
    [InlineData("FIN+PSH+ACK", 0x19, 1, 0)]
    [InlineData("RST", 0x04, 0, 1)]
    [InlineData("RST+ACK", 0x14, 0, 1)]
    public void FinOrRstOfKnownFlow_IsForwardedAndCountedApart(string what, byte flags, ulong fins, ulong resets)
    {
        XdpTestSupport.RequireOrSkip();
        AddFlow(ServiceProtocol.Tcp, "10.77.0.10", 40000, 80);
        var ack = new FrameBuilder().Ethernet(DirectorMac, ClientMac).Tcp(40000, 80, flags: 0x10).Build();
        var frame = new FrameBuilder().Ethernet(DirectorMac, ClientMac).Tcp(40000, 80, flags).Build();

        Assert.Equal(Forwarded, Run(ack).Verdict);
        var (verdict, output) = Run(frame);

        Assert.True(verdict == Forwarded, $"{what}: verdict {verdict}");
        Assert.Equal(FrameBuilder.Mac(ServerMac), output[..6]);
        var value = ReadFlow(ServiceProtocol.Tcp, "10.77.0.10", 40000, 80);
        Assert.Equal(2UL, value.Packets);
        Assert.Equal(fins, value.Fins);
        Assert.Equal(resets, value.Resets);
    }

    [Fact]
    public void UdpDatagramOfKnownFlow_IsTransmitted()
    {
        XdpTestSupport.RequireOrSkip();
        AddFlow(ServiceProtocol.Udp, "10.77.0.10", 5353, 5001);
        var frame = new FrameBuilder().Ethernet(DirectorMac, ClientMac).Udp(5353, 5001).Payload("hello\u0005-").Build();

        var (verdict, output) = Run(frame);

        Assert.Equal(Forwarded, verdict);
        Assert.Equal(FrameBuilder.Mac(ServerMac), output[..6]);
        var value = ReadFlow(ServiceProtocol.Udp, "10.77.0.10", 5353, 5001);
        Assert.Equal(1UL, value.Packets);
        Assert.Equal(0UL, value.Fins + value.Resets); // the TCP flag byte's place in a UDP datagram is payload
    }

    [Theory]
    [MemberData(nameof(TcpSegmentsNotForTheFastPath))]
    public void TcpSegmentNotForTheFastPath_PassesUnchanged(string what, ushort clientPort, ushort virtualPort, byte flags)
    {
        XdpTestSupport.RequireOrSkip();
        AddFlow(ServiceProtocol.Tcp, "10.77.0.10", 40000, 80);
        var frame = new FrameBuilder().Ethernet(DirectorMac, ClientMac).Tcp(clientPort, virtualPort, flags).Build();

        var (verdict, output) = Run(frame);

        Assert.True(verdict == Passed, $"{what}: verdict {verdict}");
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
        if (Mode == XdpMode.Tc && IsShortIPv4(frame))
        {
            // The kernel's test run builds no socket buffer for an IPv4 frame shorter than an IPv4 header; the XDP
            // run of the same checks covers the frame (the classifier differs only before them).
            var refused = Assert.Throws<BpfException>(() => Run(frame));
            Assert.Equal(22, refused.Errno);
            return;
        }

        var (verdict, output) = Run(frame);

        Assert.True(verdict == Passed, $"{what}: verdict {verdict}");
        Assert.Equal(frame, output);
        Assert.Equal(0UL, ReadFlow(ServiceProtocol.Tcp, "10.77.0.10", 40000, 80).Packets);
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

    /// <summary>An IPv4 EtherType with less than an IPv4 header behind it (the classifier's test run refuses those).</summary>
    internal static bool IsShortIPv4(byte[] frame) => frame.Length < 34 && frame.Length >= 14 && frame[12] == 0x08 && frame[13] == 0x00;

    private (uint Verdict, byte[] Output) Run(byte[] frame)
    {
        var output = new byte[4096];
        var verdict = BpfSystemCall.TestRun(_program!, frame, output, out var length);
        return (verdict, output[..length]);
    }
}
