using System.Buffers.Binary;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Forwarding.Linux.Bpf;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

/// <summary>
/// The packet sockets' eBPF filter in tcx mode, run by the kernel (<c>BPF_PROG_TEST_RUN</c>) on every golden frame
/// of <see cref="FastPathProgramTests"/> next to the classifier: a frame the classifier forwards never reaches the
/// slow path (it would be forwarded twice), and every other frame reaches it exactly when the classic filter of the
/// other modes would let it (a frame to a virtual address, read far enough to see the address).
/// </summary>
public sealed class SlowPathSocketFilterTests : IDisposable
{
    private static readonly NetworkAddress[] VirtualAddresses = [NetworkAddress.Parse("10.77.0.100"), NetworkAddress.Parse("fd77::100"), NetworkAddress.Parse("192.168.7.1")];

    private readonly SafeFileDescriptor? _map;
    private readonly SafeFileDescriptor? _classifier;
    private readonly SafeFileDescriptor? _filter;

    public SlowPathSocketFilterTests()
    {
        if (OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess && BpfSystemCall.SystemCallNumber != 0)
        {
            try
            {
                _map = BpfSystemCall.CreateMap(BpfSystemCall.MapTypeLruHash, XdpFlowKey.Length, XdpFlowValue.Length, 64, "lb_test_flows");
                _classifier = BpfSystemCall.LoadProgram(BpfSystemCall.ProgramTypeSchedClassifier, XdpProgram.Build(_map.Descriptor, XdpMode.Tc), 0, "lb_test_tc");
                _filter = BpfSystemCall.LoadProgram(BpfSystemCall.ProgramTypeSocketFilter, SlowPathSocketFilter.Build(VirtualAddresses, _map.Descriptor), 0, "lb_test_slow");
            }
            catch (BpfException) when (_map is not null)
            {
                throw; // the verifier refused a program: that is a failure, not a skip
            }
            catch (BpfException)
            {
                // bpf() refused: RequireOrSkip reports it
            }
        }
    }

    public static TheoryData<string, byte[]> Frames() => FastPathProgramTests.AllFrames();

    public void Dispose()
    {
        _filter?.Dispose();
        _classifier?.Dispose();
        _map?.Dispose();
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Frame_ReachesTheSlowPathExactlyWhenTheClassifierLeavesItAndItIsForAVirtualAddress(string what, byte[] frame)
    {
        XdpTestSupport.RequireOrSkip();
        AddFlow(ServiceProtocol.Tcp, 40000, 80);
        AddFlow(ServiceProtocol.Udp, 5353, 5001);

        // The classifier's test run refuses an IPv4 frame shorter than an IPv4 header; such a frame is never forwarded
        // (FastPathProgramTests runs it through the XDP build of the same checks).
        var forwarded = !FastPathProgramTests.IsShortIPv4(frame)
            && BpfSystemCall.TestRun(_classifier!, frame, new byte[4096], out _) == XdpProgram.TcRedirect;
        var accepted = RunFilter(frame) != 0;

        if (what.StartsWith("known flow", StringComparison.Ordinal))
        {
            Assert.True(forwarded, $"{what}: the classifier must forward it");
        }

        if (forwarded)
        {
            Assert.False(accepted, $"{what}: forwarded by the classifier and also queued for the slow path");
        }
        else if (what == "not for the director's MAC")
        {
            // An offloadable frame of a known flow to another MAC: the classifier leaves it, the filter drops it
            // like an offloaded one; the slow path would have dropped it for its MAC.
            Assert.False(accepted, what);
        }
        else
        {
            Assert.True(accepted == ClassicFilterAccepts(frame), $"{what}: accepted {accepted}, the classic filter would {(ClassicFilterAccepts(frame) ? "accept" : "drop")}");
        }
    }

    [Fact]
    public void VirtualAddressAbove2Pow31_IsComparedAsUnsigned()
    {
        XdpTestSupport.RequireOrSkip();
        var frame = new FrameBuilder().Ethernet(FastPathProgramTests.DirectorMac, FastPathProgramTests.ClientMac).Ip("10.77.0.10", "192.168.7.1").Tcp(40000, 80, flags: 0x02).Build();
        var other = new FrameBuilder().Ethernet(FastPathProgramTests.DirectorMac, FastPathProgramTests.ClientMac).Ip("10.77.0.10", "192.168.7.2").Tcp(40000, 80, flags: 0x02).Build();

        Assert.NotEqual(0u, RunFilter(frame));
        Assert.Equal(0u, RunFilter(other));
    }

    private static bool ClassicFilterAccepts(byte[] frame)
    {
        var type = frame.Length >= 14 ? BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) : 0;
        return type switch
        {
            0x0800 => frame.Length >= 34 && VirtualAddresses.Contains(NetworkAddress.FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(30)))),
            0x86DD => frame.Length >= 54 && VirtualAddresses.Contains(NetworkAddress.FromBytes(frame.AsSpan(38, 16))),
            _ => false,
        };
    }

    private void AddFlow(ServiceProtocol protocol, ushort clientPort, ushort virtualPort)
    {
        var key = XdpFlowKey.Create(protocol, NetworkAddress.Parse("10.77.0.10"), clientPort, NetworkAddress.Parse("10.77.0.100"), virtualPort);
        var value = XdpFlowValue.Create(MacAddress.Parse(FastPathProgramTests.ServerMac), MacAddress.Parse(FastPathProgramTests.DirectorMac));
        BpfSystemCall.Update(_map!, in key, in value);
    }

    /// <summary>
    /// Runs the socket filter on <paramref name="frame"/>. A socket filter's test run starts the packet after an
    /// Ethernet header (a packet socket's starts at the frame), so the frame goes in behind a dummy one.
    /// </summary>
    private uint RunFilter(byte[] frame)
    {
        var input = new byte[14 + frame.Length];
        BinaryPrimitives.WriteUInt16BigEndian(input.AsSpan(12), 0x88B5);
        frame.CopyTo(input, 14);
        return BpfSystemCall.TestRun(_filter!, input, new byte[4096], out _);
    }
}
