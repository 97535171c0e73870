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
/// to another MAC that it passes is one the slow path drops too.) Loads are <c>BPF_LD | BPF_ABS</c>, which return
/// packet fields in host order, so the key's words are swapped back to wire order.
/// </remarks>
internal static class SlowPathSocketFilter
{
    /// <summary>What an accepting socket filter returns: bytes of the frame to keep (all of it).</summary>
    public const int AcceptAll = 0x40000;

    private const int HelperMapLookupElement = 1;
    private const short KeyOffset = -XdpFlowKey.Length;

    public static EbpfInstruction[] Build(IReadOnlyCollection<NetworkAddress> virtualAddresses, int mapDescriptor)
    {
        var a = new EbpfAssembler();

        // R6 = context (BPF_ABS loads need it there), R7 = frame length (struct __sk_buff: u32 len at 0).
        a.MoveRegister(R6, R1)
         .Load(Size.Word, R7, R6, 0)
         .LoadAbsolute(Size.Half, 12)
         .JumpIf32(Condition.Equal, R0, 0x0800, "v4")
         .JumpIf32(Condition.Equal, R0, 0x86DD, "v6")
         .Jump("drop")

         .Label("v4")
         .LoadAbsolute(Size.Word, 30);
        foreach (var address in virtualAddresses.Where(a => !a.IsIPv6))
        {
            a.JumpIf32(Condition.Equal, R0, address.IPv4Value, "v4-virtual");
        }

        a.Jump("drop")

         .Label("v4-virtual")
         .MoveRegister(R8, R0)                                      // destination, host order
         .LoadAbsolute(Size.Byte, 14)
         .JumpIf(Condition.NotEqual, R0, 0x45, "accept")
         .LoadAbsolute(Size.Half, 20)
         .And(R0, 0x3FFF)
         .JumpIf(Condition.NotEqual, R0, 0, "accept")
         .LoadAbsolute(Size.Half, 16)
         .JumpIf(Condition.Less, R0, 28, "accept")
         .Add(R0, 14)
         .JumpIfRegister(Condition.Greater, R0, R7, "accept")
         .LoadAbsolute(Size.Byte, 23)
         .MoveRegister(R9, R0)                                      // protocol
         .JumpIf(Condition.Equal, R9, 17, "udp")
         .JumpIf(Condition.NotEqual, R9, 6, "accept")
         .JumpIf(Condition.Less, R7, 54, "accept")
         .LoadAbsolute(Size.Byte, 47)
         .And(R0, 0x02)
         .JumpIf(Condition.NotEqual, R0, 0, "accept")
         .Jump("key")

         .Label("udp")
         .JumpIf(Condition.Less, R7, 42, "accept")

         .Label("key")
         .LoadAbsolute(Size.Word, 26)
         .ToBigEndian(R0, 32)
         .Store(Size.Word, R10, KeyOffset, R0)
         .ToBigEndian(R8, 32)
         .Store(Size.Word, R10, KeyOffset + 4, R8)
         .LoadAbsolute(Size.Word, 34)
         .ToBigEndian(R0, 32)
         .Store(Size.Word, R10, KeyOffset + 8, R0)
         .Store(Size.Word, R10, KeyOffset + 12, R9)
         .LoadMap(R1, mapDescriptor)
         .MoveRegister(R2, R10).Add(R2, KeyOffset)
         .Call(HelperMapLookupElement)
         .JumpIf(Condition.Equal, R0, 0, "accept")
         .Jump("drop")

         .Label("v6");
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
}
