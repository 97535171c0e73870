using LoadBalancing.Forwarding.Linux.Bpf;
using static LoadBalancing.Forwarding.Linux.Bpf.EbpfAssembler;

namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>
/// The kernel fast path for scheduled Direct-Routing flows, assembled by hand (no compiler, no ELF loader). For an
/// IPv4 TCP/UDP frame without IP options or fragmentation and, for TCP, without SYN, it looks the flow up in the LRU
/// hash map of <see cref="XdpFlowKey"/> → <see cref="XdpFlowValue"/>; on a hit whose frame is addressed to the
/// director's MAC it writes the real server's and the director's MAC, counts the packet (and apart, FINs and RSTs)
/// and returns <c>XDP_TX</c> (the classifier build: <c>bpf_redirect</c>). Built with <see cref="XdpScheduleMaps"/>, it
/// also schedules a bare SYN of an unknown flow to a service in the services map from the next published pick
/// (<see cref="XdpScheduleRing"/>). Everything else passes unchanged, so the packet socket handles it as before.
/// </summary>
/// <remarks>
/// Frame layout read: EtherType at 12; IPv4 version/IHL at 14 (0x45: no options), total length at 16, flags and
/// fragment offset at 20, protocol at 23, source at 26, destination at 30; ports at 34; TCP flags at 47. Multi-byte
/// packet fields are loaded little-endian, so constants are the network-order bytes read as little-endian values
/// (EtherType 0x0800 is 0x0008; the fragment mask 0x3FFF is 0xFF3F). Every packet read is preceded by a check of
/// <c>data + n &lt;= data_end</c>, which is what the verifier demands.
/// </remarks>
internal static class XdpProgram
{
    public const uint Pass = 2;
    public const uint Transmit = 3;

    /// <summary><c>TC_ACT_REDIRECT</c>: what the classifier returns for a forwarded frame (from <c>bpf_redirect</c>).</summary>
    public const int TcRedirect = 7;

    /// <summary><c>TCX_NEXT</c>: the classifier's "not mine", the frame goes on (to the packet sockets' slow path).</summary>
    public const int TcxNext = -1;

    private const int HelperMapUpdateElement = 2;
    private const int MapUpdateAny = 0;
    private const int MapUpdateNoExist = 1;
    private const int MapUpdateExist = 2;
    private const int HelperKtimeGetNs = 5;
    private const int HelperRedirect = 23;
    private const int HelperSkbPullData = 39;
    private const int HelperSkbChangeType = 32;

    /// <summary><c>PACKET_OTHERHOST</c>: <c>ip_rcv</c>/<c>ipv6_rcv</c> drop such a frame, packet sockets still get it.</summary>
    public const int PacketOtherHost = 3;

    /// <summary>Ethernet, IPv4 without options and a 20-byte TCP header.</summary>
    private const int TcpFrameLength = 54;

    // The ingress interface index, kept on the stack across the helper calls (classifier only).
    private const short IfIndexOffset = -24;

    // The classifier's context (struct __sk_buff *), for the pass exit (R6 is reused for data): R10 - 104 .. R10 - 97.
    private const short ContextOffset = -104;

    // Stack slots of the key (R10 - 16 .. R10 - 1).
    private const short KeyOffset = -XdpFlowKey.Length;

    // Scheduling in the kernel: an array map's u32 key (R10 - 20), the services map's key (R10 - 32) and the new
    // flow's value (R10 - 96 .. R10 - 33).
    private const short ArrayKeyOffset = -20;
    private const short ServiceKeyOffset = -32;
    private const short ValueOffset = -96;

    public static EbpfInstruction[] Build(int mapDescriptor) => Build(mapDescriptor, XdpMode.Generic);

    /// <summary>The <c>Scheduled</c> word of a flow the kernel made: the destination's id in the low half, the last SYN's IP length in the high half.</summary>
    public const int SynLengthShift = 16;

    /// <summary>
    /// Builds the program for <paramref name="mode"/>: an XDP program for <see cref="XdpMode.Generic"/> and
    /// <see cref="XdpMode.Native"/>, a tcx classifier for <see cref="XdpMode.Tc"/> (same checks and rewrite; it
    /// redirects to the ingress interface's egress with <c>bpf_redirect</c> instead of <c>XDP_TX</c>, and passes with
    /// <c>TCX_NEXT</c>). With <paramref name="virtualAddresses"/> (tc only), every frame the classifier passes to a
    /// virtual address in them is marked <c>PACKET_OTHERHOST</c> (IPv6: except ICMPv6), see <see cref="EmitTcPass"/>.
    /// </summary>
    public static EbpfInstruction[] Build(int mapDescriptor, XdpMode mode, XdpScheduleMaps? schedule = null, TcVirtualAddressMaps? virtualAddresses = null)
    {
        var tc = mode == XdpMode.Tc;
        var a = new EbpfAssembler();

        if (tc)
        {
            // struct __sk_buff: u32 len at 0, ifindex at 40, data at 76, data_end at 80. At tcx ingress data starts
            // at the Ethernet header. The headers are normally in the linear part; if not, pull them in (the packet
            // pointers must then be read again).
            a.MoveRegister(R6, R1)
             .Store(Size.Double, R10, ContextOffset, R1)
             .Load(Size.Word, R4, R1, 40).Store(Size.Word, R10, IfIndexOffset, R4)
             .Load(Size.Word, R7, R1, 0)
             .Load(Size.Word, R2, R1, 76)
             .Load(Size.Word, R3, R1, 80)
             .MoveRegister(R4, R2).Add(R4, TcpFrameLength)
             .JumpIfRegister(Condition.Greater, R4, R3, "pull")
             .Jump("linear")
             .Label("pull")
             .MoveRegister(R2, R7)
             .JumpIf(Condition.Less, R2, TcpFrameLength, "pull-length")
             .Move(R2, TcpFrameLength)
             .Label("pull-length")
             .MoveRegister(R1, R6)
             .Call(HelperSkbPullData)
             .Load(Size.Word, R2, R6, 76)
             .Load(Size.Word, R3, R6, 80)
             .Label("linear");
        }
        else
        {
            // R2 = data, R3 = data_end (struct xdp_md: u32 data at 0, u32 data_end at 4).
            a.Load(Size.Word, R2, R1, 0)
             .Load(Size.Word, R3, R1, 4);
        }

        // Ethernet + minimal IPv4 header + 4 bytes of ports must be present.
        a.MoveRegister(R4, R2).Add(R4, 38)
         .JumpIfRegister(Condition.Greater, R4, R3, "pass")
         .Load(Size.Half, R5, R2, 12)
         .JumpIf(Condition.NotEqual, R5, 0x0008, "pass")           // EtherType IPv4
         .Load(Size.Byte, R5, R2, 14)
         .JumpIf(Condition.NotEqual, R5, 0x45, "pass")             // version 4, IHL 5: no options
         .Load(Size.Half, R5, R2, 20)
         .And(R5, 0xFF3F)
         .JumpIf(Condition.NotEqual, R5, 0, "pass")                // MF set or a fragment offset

        // R8 = IP total length (host order); the frame must hold all of it, as user space checks too (in a socket
        // buffer, the whole frame's length: the payload may sit outside the linear part).
         .Load(Size.Half, R8, R2, 16)
         .ToBigEndian(R8, 16)
         .And(R8, 0xFFFF)
         .JumpIf(Condition.Less, R8, 28, "pass");
        if (tc)
        {
            a.MoveRegister(R4, R8).Add(R4, 14)
             .JumpIfRegister(Condition.Greater, R4, R7, "pass");
        }
        else
        {
            a.MoveRegister(R4, R2).AddRegister(R4, R8).Add(R4, 14)
             .JumpIfRegister(Condition.Greater, R4, R3, "pass");
        }

        a.Load(Size.Byte, R5, R2, 23)                               // protocol
         .JumpIf(Condition.Equal, R5, 17, "udp")
         .JumpIf(Condition.NotEqual, R5, 6, "pass")

        // TCP: the whole 20-byte header. R9 = the FIN and RST bits (0 for UDP), or SYN alone for a bare SYN, which
        // only a service scheduled in the kernel takes (without one, every SYN goes to user space).
         .MoveRegister(R4, R2).Add(R4, TcpFrameLength)
         .JumpIfRegister(Condition.Greater, R4, R3, "pass")
         .Load(Size.Byte, R9, R2, 47)
         .MoveRegister(R4, R9).And(R4, 0x02)
         .JumpIf(Condition.Equal, R4, 0, "not-syn");
        if (schedule is null)
        {
            a.Jump("pass");
        }
        else
        {
            a.And(R9, 0x17)                                         // ACK, RST, SYN, FIN
             .JumpIf(Condition.NotEqual, R9, 0x02, "pass")
             .Jump("lookup");
        }

        a.Label("not-syn")
         .And(R9, 0x05)
         .Jump("lookup")

         .Label("udp")
         .Move(R9, 0)
         .MoveRegister(R4, R2).Add(R4, 42)
         .JumpIfRegister(Condition.Greater, R4, R3, "pass")

        // Key on the stack: source, destination, both ports as on the wire, protocol (zero-padded word).
         .Label("lookup")
         .Load(Size.Word, R4, R2, 26).Store(Size.Word, R10, KeyOffset, R4)
         .Load(Size.Word, R4, R2, 30).Store(Size.Word, R10, KeyOffset + 4, R4)
         .Load(Size.Word, R4, R2, 34).Store(Size.Word, R10, KeyOffset + 8, R4)
         .Store(Size.Word, R10, KeyOffset + 12, R5)
         .MoveRegister(R6, R2)                                       // data survives the calls in R6
         .CallMapLookup(mapDescriptor, KeyOffset);
        if (schedule is null)
        {
            a.JumpIf(Condition.Equal, R0, 0, "pass");
        }
        else
        {
            // A SYN of a known flow: a reused tuple the kernel may renew, otherwise (a retransmission) user space.
            a.JumpIf(Condition.Equal, R0, 0, "miss")
             .MoveRegister(R4, R9).And(R4, 0x02)
             .JumpIf(Condition.NotEqual, R4, 0, "reuse");
        }

        // Only frames sent to the director's MAC (value bytes 6..11): a flooded copy must not be forwarded.
        a.Load(Size.Word, R4, R6, 0).Load(Size.Word, R5, R0, 6)
         .JumpIfRegister(Condition.NotEqual, R4, R5, "pass")
         .Load(Size.Half, R4, R6, 4).Load(Size.Half, R5, R0, 10)
         .JumpIfRegister(Condition.NotEqual, R4, R5, "pass")

        // Destination MAC := real server's, source MAC := director's (12 bytes from the value).
         .RewriteMacs(R0, 0)

        // A FIN or RST is forwarded too and counted apart: user space applies its state transition when it folds the
        // counters. Counted before the packet, so a fold that sees the packet sees its FIN or RST too.
         .Move(R4, 1)
         .MoveRegister(R5, R9).And(R5, 0x01)
         .JumpIf(Condition.Equal, R5, 0, "no-fin")
         .AtomicAdd64(R0, XdpFlowValue.FinsOffset, R4)
         .Label("no-fin")
         .MoveRegister(R5, R9).And(R5, 0x04)
         .JumpIf(Condition.Equal, R5, 0, "no-rst")
         .AtomicAdd64(R0, XdpFlowValue.ResetsOffset, R4)
         .Label("no-rst")
         .AtomicAdd64(R0, XdpFlowValue.BytesOffset, R8)
         .AtomicAdd64(R0, XdpFlowValue.PacketsOffset, R4);
        if (schedule is { } maps)
        {
            a.Jump("send");
            EmitReuse(a, maps);
            EmitSchedule(a, mapDescriptor, maps);
        }

        a.Label("send");
        if (tc)
        {
            // bpf_redirect(ifindex, 0): out of the interface the frame came in on; returns TC_ACT_REDIRECT.
            a.Load(Size.Word, R1, R10, IfIndexOffset)
             .Move(R2, 0)
             .Call(HelperRedirect)
             .Exit()
             .Label("pass");
            if (virtualAddresses is not null)
            {
                EmitTcPass(a, virtualAddresses);
            }

            a.Move(R0, TcxNext)
             .Exit();
        }
        else
        {
            a.Move(R0, (int)Transmit)
             .Exit()
             .Label("pass")
             .Move(R0, (int)Pass)
             .Exit();
        }

        return a.Build();
    }

    /// <summary>
    /// The classifier's pass exit ("design B"): the packet sockets are bound to <c>ETH_P_IP</c>/<c>ETH_P_IPV6</c>, so
    /// they run after tcx ingress and see only what it passes; the director's kernel must not take those frames
    /// itself. An IPv4 frame to a virtual address, or an IPv6 frame to one that is not ICMPv6 (next header 58, which
    /// neighbour discovery needs), becomes <c>PACKET_OTHERHOST</c> (<c>bpf_skb_change_type</c>): the netdev rule
    /// <c>meta pkttype != other drop</c> lets it on, <c>ip_rcv</c>/<c>ipv6_rcv</c> drop it and <c>packet_rcv</c>
    /// delivers it. Entered from any path (packet pointers are read again from the context kept on the stack, every
    /// read bounds-checked); falls through to the <c>TCX_NEXT</c> exit.
    /// </summary>
    private static void EmitTcPass(EbpfAssembler a, TcVirtualAddressMaps maps)
    {
        a.Load(Size.Double, R1, R10, ContextOffset)
         .Load(Size.Word, R2, R1, 76)
         .Load(Size.Word, R3, R1, 80)
         .MoveRegister(R4, R2).Add(R4, 14)
         .JumpIfRegister(Condition.Greater, R4, R3, "pass-exit")
         .Load(Size.Half, R5, R2, 12)
         .JumpIf(Condition.Equal, R5, 0x0008, "pass-v4")                   // EtherType IPv4, read little-endian
         .JumpIf(Condition.NotEqual, R5, 0xDD86, "pass-exit")             // EtherType IPv6

        // IPv6: next header at 20, destination at 38..53.
         .MoveRegister(R4, R2).Add(R4, 54)
         .JumpIfRegister(Condition.Greater, R4, R3, "pass-exit")
         .Load(Size.Byte, R5, R2, 20)
         .JumpIf(Condition.Equal, R5, 58, "pass-exit")
         .Load(Size.Word, R4, R2, 38).Store(Size.Word, R10, KeyOffset, R4)
         .Load(Size.Word, R4, R2, 42).Store(Size.Word, R10, KeyOffset + 4, R4)
         .Load(Size.Word, R4, R2, 46).Store(Size.Word, R10, KeyOffset + 8, R4)
         .Load(Size.Word, R4, R2, 50).Store(Size.Word, R10, KeyOffset + 12, R4)
         .CallMapLookup(maps.IPv6, KeyOffset)
         .Jump("pass-found")

        // IPv4: destination at 30..33.
         .Label("pass-v4")
         .MoveRegister(R4, R2).Add(R4, 34)
         .JumpIfRegister(Condition.Greater, R4, R3, "pass-exit")
         .Load(Size.Word, R4, R2, 30).Store(Size.Word, R10, KeyOffset, R4)
         .CallMapLookup(maps.IPv4, KeyOffset)

         .Label("pass-found")
         .JumpIf(Condition.Equal, R0, 0, "pass-exit")
         .Load(Size.Double, R1, R10, ContextOffset)
         .Move(R2, PacketOtherHost)
         .Call(HelperSkbChangeType)
         .Label("pass-exit");
    }

    /// <summary>
    /// A bare SYN of a flow the map does not have, to a service scheduled in the kernel (<see cref="XdpScheduleRing"/>):
    /// take the service's next published pick (atomic fetch-add on its head), make the flow (<c>BPF_NOEXIST</c>, with
    /// the SYN counted and the pick's destination id), rewrite the MACs and send. Entered with R6 = data,
    /// R8 = the IP total length; anything missing (no service, no pick published, the pick overtaken, the flow made
    /// meanwhile by another CPU) passes the SYN to user space.
    /// </summary>
    private static void EmitSchedule(EbpfAssembler a, int flows, XdpScheduleMaps maps)
    {
        a.Label("miss")
         .JumpIf(Condition.NotEqual, R9, 0x02, "pass")
         .Load(Size.Word, R4, R6, 30).Store(Size.Word, R10, ServiceKeyOffset, R4)       // virtual address
         .Load(Size.Half, R4, R6, 36).Store(Size.Half, R10, ServiceKeyOffset + 4, R4)   // virtual port
         .StoreImmediate(Size.Half, R10, ServiceKeyOffset + 6, 0)
         .CallMapLookup(maps.Services, ServiceKeyOffset)
         .JumpIf(Condition.Equal, R0, 0, "pass")

        // Only a frame sent to the director's MAC (the service value's bytes 4..9).
         .Load(Size.Word, R4, R6, 0).Load(Size.Word, R5, R0, 4)
         .JumpIfRegister(Condition.NotEqual, R4, R5, "pass")
         .Load(Size.Half, R4, R6, 4).Load(Size.Half, R5, R0, 8)
         .JumpIfRegister(Condition.NotEqual, R4, R5, "pass")

        // R7 = slot; the slot's head and published count.
         .Load(Size.Word, R7, R0, 0)
         .Store(Size.Word, R10, ArrayKeyOffset, R7)
         .CallMapLookup(maps.Heads, ArrayKeyOffset)
         .JumpIf(Condition.Equal, R0, 0, "pass")
         .Load(Size.Double, R4, R0, 0)
         .Load(Size.Double, R5, R0, 8)
         .JumpIfRegister(Condition.GreaterOrEqual, R4, R5, "pass")
         .Move(R4, 1)
         .AtomicFetchAdd64(R0, 0, R4)                                                     // R4 = this SYN's position
         .JumpIfRegister(Condition.GreaterOrEqual, R4, R5, "pass")
         .MoveRegister(R9, R4)
         .And(R4, XdpScheduleRing.RingSize - 1)
         .ShiftLeft(R7, XdpScheduleRing.RingShift)
         .AddRegister(R7, R4)
         .Store(Size.Word, R10, ArrayKeyOffset, R7)
         .CallMapLookup(maps.Ring, ArrayKeyOffset)
         .JumpIf(Condition.Equal, R0, 0, "pass")
         .Load(Size.Word, R4, R0, 0)
         .JumpIf32Register(Condition.NotEqual, R4, R9, "pass")                           // not this position's pick

        // The flow's value: server MAC, director MAC (the frame's destination), id | SYN length << 16, one packet.
         .Load(Size.Word, R4, R0, 8).Store(Size.Word, R10, ValueOffset, R4)
         .Load(Size.Half, R4, R0, 12).Store(Size.Half, R10, ValueOffset + 4, R4)
         .Load(Size.Half, R4, R6, 0).Store(Size.Half, R10, ValueOffset + 6, R4)
         .Load(Size.Word, R4, R6, 2).Store(Size.Word, R10, ValueOffset + 8, R4)
         .Load(Size.Word, R4, R0, 4)
         .MoveRegister(R5, R8).ShiftLeft(R5, SynLengthShift)
         .AddRegister(R4, R5)
         .Store(Size.Word, R10, ValueOffset + XdpFlowValue.ScheduledOffset, R4);
        EmitNewFlow(a, flows, MapUpdateNoExist);

        // Destination MAC := the server's, source MAC := the director's (from the new flow's value).
        a.Label("rewrite")
         .RewriteMacs(R10, ValueOffset);
    }

    /// <summary>
    /// The frame's (R6) destination and source MAC := the 12 bytes at <paramref name="source"/> +
    /// <paramref name="offset"/> (a flow value's: real server's, then director's).
    /// </summary>
    private static EbpfAssembler RewriteMacs(this EbpfAssembler a, int source, short offset)
        => a.Load(Size.Word, R4, source, offset).Store(Size.Word, R6, 0, R4)
            .Load(Size.Half, R4, source, (short)(offset + 4)).Store(Size.Half, R6, 4, R4)
            .Load(Size.Half, R4, source, (short)(offset + 6)).Store(Size.Half, R6, 6, R4)
            .Load(Size.Word, R4, source, (short)(offset + 8)).Store(Size.Word, R6, 8, R4);

    /// <summary>
    /// A bare SYN of a flow the map has (R0 = its value, R6 = data, R8 = the IP total length): a client that reuses
    /// the tuple of a connection it closed. When the current connection was closed by a FIN alone after at least one
    /// other segment, user space's fold makes its entry FIN_WAIT, where IPVS (<c>conn_reuse_mode</c> 1) keeps the
    /// tuple on its server: the kernel then renews the flow for the same server, in the flow's own element (no new
    /// element, no copy: a whole-value update of an LRU element takes a new one from the LRU's lists and frees the
    /// old, 1 % of all CPU samples in the lab's close run, docs/benchmarks.md). The renewal word
    /// (<see cref="XdpFlowValue.RenewalOffset"/>: one more renewal, the FIN count and the packet count through this
    /// SYN as the new connection's bases) is claimed with one compare-and-exchange, so of two CPUs renewing at once
    /// one does it and the other passes its SYN to user space; then the SYN's bytes and packet are added, in that
    /// order. A reader copies the value front to back (packets, bytes, then the word): one that sees the new word
    /// before the SYN's packet sees the new connection at -1 packets, a value the kernel never leaves, and reads the
    /// flow again at its next pass (<see cref="XdpFlowValue"/>). Anything else (a retransmission, an RST, a service no
    /// longer scheduled in the kernel) goes to user space.
    /// </summary>
    private static void EmitReuse(EbpfAssembler a, XdpScheduleMaps maps)
    {
        a.Label("reuse")
         .Load(Size.Word, R4, R6, 0).Load(Size.Word, R5, R0, 6)
         .JumpIfRegister(Condition.NotEqual, R4, R5, "pass")
         .Load(Size.Half, R4, R6, 4).Load(Size.Half, R5, R0, 10)
         .JumpIfRegister(Condition.NotEqual, R4, R5, "pass")
         .Load(Size.Double, R4, R0, XdpFlowValue.ResetsOffset)
         .JumpIf(Condition.NotEqual, R4, 0, "pass")
         .MoveRegister(R7, R0)

        // The service must still be scheduled in the kernel (rr/wrr, not persistent).
         .Load(Size.Word, R4, R6, 30).Store(Size.Word, R10, ServiceKeyOffset, R4)
         .Load(Size.Half, R4, R6, 36).Store(Size.Half, R10, ServiceKeyOffset + 4, R4)
         .StoreImmediate(Size.Half, R10, ServiceKeyOffset + 6, 0)
         .CallMapLookup(maps.Services, ServiceKeyOffset)
         .JumpIf(Condition.Equal, R0, 0, "pass")

        // R9 = the renewal word, R5 = the FINs, R2 = the packets. The connection's FINs ((u16)(Fins - FinsBase)) must
        // be some, and its packets after its SYN ((u32)(Packets - Base)) more: an ACK passed too.
         .Load(Size.Double, R9, R7, XdpFlowValue.RenewalOffset)
         .Load(Size.Double, R5, R7, XdpFlowValue.FinsOffset)
         .MoveRegister(R4, R9).ShiftRight(R4, 16)
         .MoveRegister(R3, R5).SubtractRegister(R3, R4).And(R3, 0xFFFF)
         .JumpIf(Condition.Equal, R3, 0, "pass")
         .Load(Size.Double, R2, R7, XdpFlowValue.PacketsOffset)
         .MoveRegister(R4, R9).ShiftRight(R4, 32)
         .MoveRegister(R1, R2).SubtractRegister(R1, R4)
         .JumpIf32Register(Condition.GreaterOrEqual, R3, R1, "pass")

        // The SYN's length next to the pick's id.
         .Load(Size.Word, R4, R7, XdpFlowValue.ScheduledOffset)
         .And(R4, 0xFFFF)
         .MoveRegister(R3, R8).ShiftLeft(R3, SynLengthShift)
         .AddRegister(R4, R3)
         .Store(Size.Word, R7, XdpFlowValue.ScheduledOffset, R4)

        // The claim: renewals + 1 | FINs so far << 16 | (u32)(packets + 1) << 32, if the word is still R9.
         .MoveRegister(R1, R9).Add(R1, 1).And(R1, 0xFFFF)
         .And(R5, 0xFFFF).ShiftLeft(R5, 16).OrRegister(R1, R5)
         .Add(R2, 1).ShiftLeft(R2, 32).OrRegister(R1, R2)
         .MoveRegister(R0, R9)
         .AtomicCompareExchange64(R7, XdpFlowValue.RenewalOffset, R1)
         .JumpIfRegister(Condition.NotEqual, R0, R9, "pass")

        // The SYN counted: its bytes, then its packet (a reader that sees the packet sees the word and the bytes).
         .AtomicAdd64(R7, XdpFlowValue.BytesOffset, R8)
         .Move(R4, 1)
         .AtomicAdd64(R7, XdpFlowValue.PacketsOffset, R4)

        // Destination MAC := the server's, source MAC := the director's (from the flow's value).
         .RewriteMacs(R7, 0)
         .Jump("send");
    }

    /// <summary>
    /// Completes the new flow's value at <see cref="ValueOffset"/> (MACs and <c>Scheduled</c> written; R8 = the SYN's
    /// IP length): the SYN counted as its one packet (and as the base), no FIN, RST or renewal, a new incarnation
    /// (<c>bpf_ktime_get_ns() | 1</c>, never 0, a flow user space made), and puts it into the flow map with
    /// <paramref name="flags"/>; a refusal passes.
    /// </summary>
    private static void EmitNewFlow(EbpfAssembler a, int flows, int flags)
        => a.StoreImmediate(Size.Double, R10, ValueOffset + XdpFlowValue.PacketsOffset, 1)
            .Store(Size.Double, R10, ValueOffset + XdpFlowValue.BytesOffset, R8)
            .StoreImmediate(Size.Double, R10, ValueOffset + XdpFlowValue.FinsOffset, 0)
            .StoreImmediate(Size.Double, R10, ValueOffset + XdpFlowValue.ResetsOffset, 0)
            .StoreImmediate(Size.Word, R10, ValueOffset + XdpFlowValue.RenewalOffset, 0) // renewals and FIN base
            .StoreImmediate(Size.Word, R10, ValueOffset + XdpFlowValue.BaseOffset, 1)
            .Call(HelperKtimeGetNs)
            .Or(R0, 1)
            .Store(Size.Double, R10, ValueOffset + XdpFlowValue.IncarnationOffset, R0)
            .LoadMap(R1, flows)
            .MoveRegister(R2, R10).Add(R2, KeyOffset)
            .MoveRegister(R3, R10).Add(R3, ValueOffset)
            .Move(R4, flags)
            .Call(HelperMapUpdateElement)
            .JumpIf(Condition.NotEqual, R0, 0, "pass");
}
