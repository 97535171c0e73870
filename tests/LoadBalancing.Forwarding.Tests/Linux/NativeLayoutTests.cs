using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LoadBalancing.Forwarding.Linux;

namespace LoadBalancing.Forwarding.Tests.Linux;

/// <summary>Struct sizes and offsets against the 64-bit Linux ABI (linux/if_packet.h, sys/socket.h, linux/filter.h).</summary>
public sealed class NativeLayoutTests
{
    [Fact]
    public void SockAddrLinkLayer_Is20Bytes()
        => Assert.Equal(20, Unsafe.SizeOf<SockAddrLinkLayer>());

    [Fact]
    public void SockFilter_Is8Bytes()
        => Assert.Equal(8, Unsafe.SizeOf<SockFilter>());

    [Fact]
    public void MMsgHdr_Is64BytesWithMsgLenAt56()
    {
        Assert.Equal(64, Unsafe.SizeOf<LibC.MMsgHdr>());
        Assert.Equal(48, (int)Marshal.OffsetOf<LibC.MMsgHdr>(nameof(LibC.MMsgHdr.Flags)));
        Assert.Equal(56, (int)Marshal.OffsetOf<LibC.MMsgHdr>(nameof(LibC.MMsgHdr.SentLength)));
    }

    [Fact]
    public void PollFd_Is8Bytes()
        => Assert.Equal(8, Unsafe.SizeOf<LibC.PollFd>());
}
