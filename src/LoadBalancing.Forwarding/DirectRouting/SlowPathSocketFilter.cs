using System.Buffers.Binary;
using LoadBalancing.Forwarding.Linux.Bpf;
using LoadBalancing.Model;
using static LoadBalancing.Forwarding.Linux.Bpf.EbpfAssembler;

namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>
/// The packet sockets' filter when the fast path runs at tcx ingress (<see cref="XdpMode.Tc"/>): an eBPF socket
/// filter that accepts, like <see cref="Linux.ClassicBpf"/>, the frames sent to a virtual address, except those the
/// classifier forwards itself. The packet taps run before tcx ingress, so without this the slow path would forward
/// every offloaded frame a second time.
/// </summary>
/// <remarks>
/// The exception repeats <see cref="XdpProgram"/>'s test exactly: IPv4 without options or fragmentation, a total
/// length of at least 28 that the frame holds, TCP with a whole header and no SYN, or UDP with a
/// whole header, and the flow in the map. (The classifier also requires the director's MAC as destination; a frame
/// to another MAC that it passes is one the slow path drops too.) The headers are copied to the stack with one
/// <c>bpf_skb_load_bytes</c> and read in wire order, as the classifier reads them; IPv6 and short frames take the
/// classic filter's test with <c>BPF_LD | BPF_ABS</c> loads.
/// </remarks>
internal static class SlowPathSocketFilter
{
    /// <summary>What an accepting socket filter returns: bytes of the frame to keep (all of it).</summary>
    public const int AcceptAll = 0x40000;

    private const int HelperSkbLoadBytes = 26;
    private const short KeyOffset = -XdpFlowKey.Length;

    // Ethernet, IPv4 without options and the transport header's first 8 bytes (ports, or all of UDP's header).
    private const int HeaderCopyLength = 42;

    // The copy lives below the key on the stack, two bytes off a word boundary so that the IPv4 header's words are
    // aligned (the verifier refuses misaligned stack loads): R10 - 66 .. R10 - 25.
    private const short BufferOffset = -66;

    // The services map's key for a SYN, between the copy and the flow key: R10 - 24 .. R10 - 17.
    private const short ServiceKeyOffset = -24;

    public static EbpfInstruction[] Build(IReadOnlyCollection<NetworkAddress> virtualAddresses, int mapDescriptor, XdpScheduleMaps? schedule = null)
    {
        var a = new EbpfAssembler();

        // R6 = context (BPF_ABS loads need it there), R7 = frame length (struct __sk_buff: u32 len at 0). An IPv4
        // frame of at least 42 bytes (what a forwarded UDP datagram needs at least) is copied to the stack with one
        // bpf_skb_load_bytes and read there in wire order, as the classifier reads it; anything else takes the
        // classic filter's path with BPF_ABS loads (host order).
        a.MoveRegister(R6, R1)
         .Load(Size.Word, R7, R6, 0)
         .JumpIf(Condition.Less, R7, HeaderCopyLength, "classic")
         .MoveRegister(R1, R6)
         .Move(R2, 0)
         .MoveRegister(R3, R10).Add(R3, BufferOffset)
         .Move(R4, HeaderCopyLength)
         .Call(HelperSkbLoadBytes)
         .JumpIf(Condition.NotEqual, R0, 0, "classic")
         .Load(Size.Half, R0, R10, BufferOffset + 12)
         .JumpIf(Condition.NotEqual, R0, 0x0008, "classic")         // EtherType IPv4, read little-endian
         .Load(Size.Word, R8, R10, BufferOffset + 30);                // destination, wire order
        foreach (var address in virtualAddresses.Where(a => !a.IsIPv6))
        {
            a.JumpIf32(Condition.Equal, R8, BinaryPrimitives.ReverseEndianness(address.IPv4Value), "v4-virtual");
        }

        a.Jump("drop")

         .Label("v4-virtual")
         .Load(Size.Byte, R0, R10, BufferOffset + 14)
         .JumpIf(Condition.NotEqual, R0, 0x45, "accept")
         .Load(Size.Half, R0, R10, BufferOffset + 20)
         .And(R0, 0xFF3F)
         .JumpIf(Condition.NotEqual, R0, 0, "accept")
         .Load(Size.Half, R0, R10, BufferOffset + 16)
         .ToBigEndian(R0, 16)
         .And(R0, 0xFFFF)
         .JumpIf(Condition.Less, R0, 28, "accept")
         .Add(R0, 14)
         .JumpIfRegister(Condition.Greater, R0, R7, "accept")
         .Load(Size.Byte, R9, R10, BufferOffset + 23)                // protocol
         .JumpIf(Condition.Equal, R9, 17, "key")
         .JumpIf(Condition.NotEqual, R9, 6, "accept")
         .JumpIf(Condition.Less, R7, 54, "accept")
         .LoadAbsolute(Size.Byte, 47);                               // TCP flags, beyond the copy
        if (schedule is not null)
        {
            a.MoveRegister(R1, R0).And(R1, 0x17)
             .JumpIf(Condition.Equal, R1, 0x02, "syn");
        }

        a.And(R0, 0x02)
         .JumpIf(Condition.NotEqual, R0, 0, "accept")

         .Label("key");
        EmitFlowLookup(a, mapDescriptor);
        a.JumpIf(Condition.Equal, R0, 0, "accept")
         .Jump("drop");

        if (schedule is { } maps)
        {
            // A bare SYN: the classifier takes it when the flow is new, the service is scheduled in the kernel and a
            // pick is published. Drop it here only with a margin of picks, so that a SYN is never left to neither.
            a.Label("syn");
            EmitFlowLookup(a, mapDescriptor);
            a.JumpIf(Condition.NotEqual, R0, 0, "accept")
             .Store(Size.Word, R10, ServiceKeyOffset, R8)
             .Load(Size.Half, R0, R10, BufferOffset + 36).Store(Size.Half, R10, ServiceKeyOffset + 4, R0)
             .StoreImmediate(Size.Half, R10, ServiceKeyOffset + 6, 0)
             .CallMapLookup(maps.Services, ServiceKeyOffset)
             .JumpIf(Condition.Equal, R0, 0, "accept")
             .Load(Size.Word, R1, R0, 0).Store(Size.Word, R10, KeyOffset, R1)
             .CallMapLookup(maps.Heads, KeyOffset)
             .JumpIf(Condition.Equal, R0, 0, "accept")
             .Load(Size.Double, R1, R0, 0)
             .Load(Size.Double, R2, R0, 8)
             .Add(R1, XdpScheduleRing.FilterMargin)
             .JumpIfRegister(Condition.Less, R1, R2, "drop")
             .Jump("accept");
        }

        // The classic filter's test, for IPv6 and short frames (none of which the classifier forwards).
        a.Label("classic")
         .LoadAbsolute(Size.Half, 12)
         .JumpIf32(Condition.Equal, R0, 0x0800, "classic-v4")
         .JumpIf32(Condition.Equal, R0, 0x86DD, "classic-v6")
         .Jump("drop")
         .Label("classic-v4")
         .LoadAbsolute(Size.Word, 30);
        foreach (var address in virtualAddresses.Where(a => !a.IsIPv6))
        {
            a.JumpIf32(Condition.Equal, R0, address.IPv4Value, "accept");
        }

        a.Jump("drop")
         .Label("classic-v6");
        Span<byte> bytes = stackalloc byte[16];
        var index = 0;
        foreach (var address in virtualAddresses.Where(a => a.IsIPv6))
        {
            BinaryPrimitives.WriteUInt128BigEndian(bytes, address.Value);
            var next = $"v6-next-{index++}";
            for (var word = 0; word < 4; word++)
            {
                a.LoadAbsolute(Size.Word, 38 + (4 * word))
                 .JumpIf32(Condition.NotEqual, R0, BinaryPrimitives.ReadUInt32BigEndian(bytes[(4 * word)..]), next);
            }

            a.Jump("accept").Label(next);
        }

        a.Label("drop")
         .Move(R0, 0)
         .Exit()
         .Label("accept")
         .Move(R0, AcceptAll)
         .Exit();
        return a.Build();
    }

    /// <summary>R0 = the flow map's entry for the copied headers (R8 = destination, R9 = protocol), or 0.</summary>
    private static void EmitFlowLookup(EbpfAssembler a, int mapDescriptor)
        => a.Load(Size.Word, R0, R10, BufferOffset + 26).Store(Size.Word, R10, KeyOffset, R0)
            .Store(Size.Word, R10, KeyOffset + 4, R8)
            .Load(Size.Word, R0, R10, BufferOffset + 34).Store(Size.Word, R10, KeyOffset + 8, R0)
            .Store(Size.Word, R10, KeyOffset + 12, R9)
            .CallMapLookup(mapDescriptor, KeyOffset);
}
