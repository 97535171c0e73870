using LoadBalancing.Forwarding.Linux.Bpf;
using static LoadBalancing.Forwarding.Linux.Bpf.EbpfAssembler;

namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>
/// The XDP fast path for established Direct-Routing flows, assembled by hand (no compiler, no ELF loader). For an
/// IPv4 TCP/UDP frame without IP options or fragmentation and, for TCP, without SYN, FIN or RST, it looks the flow
/// up in the LRU hash map of <see cref="XdpFlowKey"/> → <see cref="XdpFlowValue"/>; on a hit whose frame is addressed
/// to the director's MAC it writes the real server's and the director's MAC, counts the packet and returns
/// <c>XDP_TX</c>. Everything else returns <c>XDP_PASS</c> unchanged, so the packet socket handles it as before.
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

    private const int HelperMapLookupElement = 1;
    private const int HelperKtimeGetNs = 5;

    // Stack slots of the key (R10 - 16 .. R10 - 1).
    private const short KeyOffset = -XdpFlowKey.Length;

    public static EbpfInstruction[] Build(int mapDescriptor)
    {
        var a = new EbpfAssembler();

        // R2 = data, R3 = data_end (struct xdp_md: u32 data at 0, u32 data_end at 4).
        a.Load(Size.Word, R2, R1, 0)
         .Load(Size.Word, R3, R1, 4)

        // Ethernet + minimal IPv4 header + 4 bytes of ports must be present.
         .MoveRegister(R4, R2).Add(R4, 38)
         .JumpIfRegister(Condition.Greater, R4, R3, "pass")
         .Load(Size.Half, R5, R2, 12)
         .JumpIf(Condition.NotEqual, R5, 0x0008, "pass")           // EtherType IPv4
         .Load(Size.Byte, R5, R2, 14)
         .JumpIf(Condition.NotEqual, R5, 0x45, "pass")             // version 4, IHL 5: no options
         .Load(Size.Half, R5, R2, 20)
         .And(R5, 0xFF3F)
         .JumpIf(Condition.NotEqual, R5, 0, "pass")                // MF set or a fragment offset

        // R8 = IP total length (host order); the frame must hold all of it, as user space checks too.
         .Load(Size.Half, R8, R2, 16)
         .ToBigEndian(R8, 16)
         .And(R8, 0xFFFF)
         .JumpIf(Condition.Less, R8, 28, "pass")
         .MoveRegister(R4, R2).AddRegister(R4, R8).Add(R4, 14)
         .JumpIfRegister(Condition.Greater, R4, R3, "pass")

         .Load(Size.Byte, R5, R2, 23)                               // protocol
         .JumpIf(Condition.Equal, R5, 17, "udp")
         .JumpIf(Condition.NotEqual, R5, 6, "pass")

        // TCP: the whole 20-byte header; SYN, FIN and RST go to user space (scheduling, state changes).
         .MoveRegister(R4, R2).Add(R4, 54)
         .JumpIfRegister(Condition.Greater, R4, R3, "pass")
         .Load(Size.Byte, R4, R2, 47)
         .And(R4, 0x07)
         .JumpIf(Condition.NotEqual, R4, 0, "pass")
         .Jump("lookup")

         .Label("udp")
         .MoveRegister(R4, R2).Add(R4, 42)
         .JumpIfRegister(Condition.Greater, R4, R3, "pass")

        // Key on the stack: source, destination, both ports as on the wire, protocol (zero-padded word).
         .Label("lookup")
         .Load(Size.Word, R4, R2, 26).Store(Size.Word, R10, KeyOffset, R4)
         .Load(Size.Word, R4, R2, 30).Store(Size.Word, R10, KeyOffset + 4, R4)
         .Load(Size.Word, R4, R2, 34).Store(Size.Word, R10, KeyOffset + 8, R4)
         .Store(Size.Word, R10, KeyOffset + 12, R5)
         .MoveRegister(R6, R2)                                       // data survives the calls in R6
         .LoadMap(R1, mapDescriptor)
         .MoveRegister(R2, R10).Add(R2, KeyOffset)
         .Call(HelperMapLookupElement)
         .JumpIf(Condition.Equal, R0, 0, "pass")

        // Only frames sent to the director's MAC (value bytes 6..11): a flooded copy must not be forwarded.
         .Load(Size.Word, R4, R6, 0).Load(Size.Word, R5, R0, 6)
         .JumpIfRegister(Condition.NotEqual, R4, R5, "pass")
         .Load(Size.Half, R4, R6, 4).Load(Size.Half, R5, R0, 10)
         .JumpIfRegister(Condition.NotEqual, R4, R5, "pass")

        // Destination MAC := real server's, source MAC := director's (12 bytes from the value).
         .Load(Size.Word, R4, R0, 0).Store(Size.Word, R6, 0, R4)
         .Load(Size.Half, R4, R0, 4).Store(Size.Half, R6, 4, R4)
         .Load(Size.Half, R4, R0, 6).Store(Size.Half, R6, 6, R4)
         .Load(Size.Word, R4, R0, 8).Store(Size.Word, R6, 8, R4)

         .Move(R4, 1)
         .AtomicAdd64(R0, XdpFlowValue.PacketsOffset, R4)
         .AtomicAdd64(R0, XdpFlowValue.BytesOffset, R8)
         .MoveRegister(R7, R0)
         .Call(HelperKtimeGetNs)
         .Store(Size.Double, R7, XdpFlowValue.LastSeenOffset, R0)
         .Move(R0, (int)Transmit)
         .Exit()

         .Label("pass")
         .Move(R0, (int)Pass)
         .Exit();
        return a.Build();
    }
}
