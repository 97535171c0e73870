using System.Runtime.InteropServices;

namespace LoadBalancing.Forwarding.Linux.Bpf;

/// <summary>
/// One eBPF instruction as the kernel reads it (<c>struct bpf_insn</c>, 8 bytes): opcode, destination register in
/// the low nibble and source register in the high nibble of the second byte (little-endian hosts), a signed 16-bit
/// offset and a signed 32-bit immediate.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 8)]
internal readonly record struct EbpfInstruction(byte Code, byte Registers, short Offset, int Immediate)
{
    public static EbpfInstruction Create(byte code, int destination, int source, short offset, int immediate)
        => new(code, (byte)((destination & 0x0F) | ((source & 0x0F) << 4)), offset, immediate);

    public int Destination => Registers & 0x0F;

    public int Source => Registers >> 4;
}
