using System.Buffers.Binary;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Linux;

/// <summary>
/// Builds the classic BPF program attached to the packet socket: accept IPv4/IPv6 frames whose destination
/// address is one of the virtual addresses, drop everything else in the kernel before it is queued.
/// </summary>
/// <remarks>
/// Offsets are from the start of the Ethernet frame (the socket is <c>SOCK_RAW</c>): EtherType at 12, IPv4
/// destination at 14 + 16 = 30, IPv6 destination at 14 + 24 = 38..53. Loads are big-endian, as the BPF VM reads
/// packet words in network order, so the constants are the addresses' host-order values.
/// </remarks>
internal static class ClassicBpf
{
    // linux/bpf_common.h opcodes.
    private const ushort LdH = 0x28;   // BPF_LD | BPF_H | BPF_ABS
    private const ushort LdW = 0x20;   // BPF_LD | BPF_W | BPF_ABS
    private const ushort JeqK = 0x15;  // BPF_JMP | BPF_JEQ | BPF_K
    private const ushort Ja = 0x05;    // BPF_JMP | BPF_JA: unconditional, 32-bit offset in k
    private const ushort RetK = 0x06;  // BPF_RET | BPF_K

    /// <summary>Bytes to keep of an accepted frame: all of it (larger than any frame the socket can receive).</summary>
    private const uint AcceptAll = 0x40000;

    /// <summary>The kernel's limit on a classic program (BPF_MAXINSNS).</summary>
    public const int MaxInstructions = 4096;

    public static SockFilter[] Build(IEnumerable<NetworkAddress> virtualAddresses)
    {
        var distinct = virtualAddresses.Distinct().ToArray();
        var v4 = distinct.Where(a => !a.IsIPv6).ToArray();
        var v6 = distinct.Where(a => a.IsIPv6).ToArray();
        var code = new List<(ushort Op, string? True, string? False, uint K)>();
        var labels = new Dictionary<string, int>();

        code.Add((LdH, null, null, 12));

        // Conditional jumps reach only 255 instructions; the jumps over a whole block are unconditional (JA).
        code.Add((JeqK, "v4", null, 0x0800));
        code.Add((Ja, null, null, 0));
        labels["v4"] = code.Count;
        var jumpToV6 = code.Count - 1;
        code.Add((LdW, null, null, 30));
        foreach (var address in v4)
        {
            code.Add((JeqK, "accept4", null, address.IPv4Value));
        }

        code.Add((RetK, null, null, 0));
        labels["accept4"] = code.Count;
        code.Add((RetK, null, null, AcceptAll));
        labels["v6"] = code.Count;
        code.Add((JeqK, "v6addresses", null, 0x86DD));
        code.Add((Ja, null, null, 0));
        var jumpToDrop = code.Count - 1;
        labels["v6addresses"] = code.Count;
        Span<byte> bytes = stackalloc byte[16];
        for (var i = 0; i < v6.Length; i++)
        {
            BinaryPrimitives.WriteUInt128BigEndian(bytes, v6[i].Value);
            var next = $"v6next{i}";
            for (var word = 0; word < 4; word++)
            {
                code.Add((LdW, null, null, (uint)(38 + (4 * word))));
                code.Add((JeqK, null, next, BinaryPrimitives.ReadUInt32BigEndian(bytes[(4 * word)..])));
            }

            // Each address ends in its own accept, so every jump stays short (conditional jumps reach 255 ahead).
            code.Add((RetK, null, null, AcceptAll));
            labels[next] = code.Count;
        }

        labels["drop"] = code.Count;
        code.Add((RetK, null, null, 0));

        code[jumpToV6] = (Ja, null, null, (uint)(labels["v6"] - (jumpToV6 + 1)));
        code[jumpToDrop] = (Ja, null, null, (uint)(labels["drop"] - (jumpToDrop + 1)));
        if (code.Count > MaxInstructions)
        {
            throw new InvalidOperationException($"Too many virtual addresses for one packet filter ({distinct.Length}).");
        }

        var program = new SockFilter[code.Count];
        for (var i = 0; i < code.Count; i++)
        {
            var (op, jt, jf, k) = code[i];
            program[i] = new SockFilter(op, Offset(jt, i), Offset(jf, i), k);
        }

        return program;

        byte Offset(string? label, int from)
        {
            if (label is null)
            {
                return 0;
            }

            var distance = labels[label] - (from + 1);

            // Conditional jumps reach at most 255 instructions ahead: about 250 IPv4 addresses.
            return distance <= byte.MaxValue
                ? (byte)distance
                : throw new InvalidOperationException($"Too many virtual addresses for one packet filter ({distinct.Length}).");
        }
    }
}
