using System.Buffers.Binary;
using LoadBalancing.Forwarding.Linux;
using LoadBalancing.Forwarding.Tests.DirectRouting;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Tests.Linux;

public sealed class ClassicBpfTests
{
    private static readonly NetworkAddress[] Vips =
    [
        NetworkAddress.Parse("10.77.0.100"),
        NetworkAddress.Parse("192.0.2.1"),
        NetworkAddress.Parse("2001:db8::100"),
        NetworkAddress.Parse("2001:db8::1:100"),
    ];

    [Theory]
    [InlineData("10.77.0.100", true)]
    [InlineData("192.0.2.1", true)]
    [InlineData("10.77.0.101", false)]
    [InlineData("100.0.77.10", false)]
    [InlineData("2001:db8::100", true)]
    [InlineData("2001:db8::1:100", true)]
    [InlineData("2001:db8::101", false)]
    [InlineData("2001:db9::100", false)]
    public void Build_FrameToAddress_AcceptedOnlyForVirtualAddresses(string destination, bool accepted)
    {
        var source = destination.Contains(':') ? "2001:db8::10" : "10.77.0.10";
        var frame = new FrameBuilder().Ip(source, destination).Build();

        Assert.Equal(accepted, Run(ClassicBpf.Build(Vips), frame) > 0);
    }

    [Fact]
    public void Build_AcceptedFrame_KeepsTheWholeFrame()
    {
        var frame = new FrameBuilder().Payload(new string('x', 1400)).Build();
        Assert.True(Run(ClassicBpf.Build(Vips), frame) >= frame.Length);
    }

    [Fact]
    public void Build_ArpAndShortFrames_AreDropped()
    {
        var program = ClassicBpf.Build(Vips);
        Assert.Equal(0u, Run(program, new FrameBuilder().EtherType(0x0806).Build()));
        Assert.Equal(0u, Run(program, new FrameBuilder().Build()[..20])); // load beyond the frame: the kernel returns 0
    }

    [Fact]
    public void Build_NoVirtualAddresses_DropsEverything()
    {
        Assert.Equal(0u, Run(ClassicBpf.Build([]), new FrameBuilder().Build()));
    }

    [Fact]
    public void Build_ManyAddresses_EveryOneIsReachableWithinJumpRange()
    {
        var v4 = Enumerable.Range(1, 200).Select(i => NetworkAddress.FromIPv4(0x0A000000u + (uint)i)).ToArray();
        var v6 = Enumerable.Range(1, 40).Select(i => NetworkAddress.FromIPv6(((UInt128)0x20010DB8u << 96) + (uint)i)).ToArray();
        var program = ClassicBpf.Build([.. v4, .. v6]);

        Assert.All(v4.Concat(v6), vip =>
        {
            var source = vip.IsIPv6 ? "2001:db8::ffff" : "10.255.0.1";
            Assert.True(Run(program, new FrameBuilder().Ip(source, vip.ToString()).Build()) > 0, vip.ToString());
        });
    }

    [Fact]
    public void Build_MoreAddressesThanOneJumpReaches_Throws()
    {
        var v4 = Enumerable.Range(1, 300).Select(i => NetworkAddress.FromIPv4(0x0A000000u + (uint)i));
        Assert.Throws<InvalidOperationException>(() => ClassicBpf.Build(v4));
    }

    /// <summary>
    /// A classic BPF interpreter for the instructions the builder emits, with the kernel's semantics
    /// (net/core/filter.c): absolute loads are big-endian and end the program with 0 when out of bounds,
    /// jumps are relative to the next instruction.
    /// </summary>
    private static uint Run(SockFilter[] program, byte[] packet)
    {
        uint a = 0;
        for (var pc = 0; pc < program.Length; pc++)
        {
            var insn = program[pc];
            switch (insn.Code)
            {
                case 0x28: // ld h abs
                    if (insn.K + 2 > packet.Length)
                    {
                        return 0;
                    }

                    a = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan((int)insn.K));
                    break;
                case 0x20: // ld w abs
                    if (insn.K + 4 > packet.Length)
                    {
                        return 0;
                    }

                    a = BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan((int)insn.K));
                    break;
                case 0x15: // jeq k
                    pc += a == insn.K ? insn.JumpTrue : insn.JumpFalse;
                    break;
                case 0x05: // ja
                    pc += (int)insn.K;
                    break;
                case 0x06: // ret k
                    return insn.K;
                default:
                    throw new InvalidOperationException($"unexpected opcode {insn.Code:x}");
            }
        }

        throw new InvalidOperationException("program fell off its end (the kernel's checker rejects that)");
    }
}
