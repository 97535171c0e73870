using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using LoadBalancing.Forwarding.Linux;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Proxy.Internal.EventLoop;

/// <summary>Non-blocking TCP sockets as plain descriptors: socket addresses, options, resets and errno mapping.</summary>
[SupportedOSPlatform("linux")]
internal static unsafe class NativeTcp
{
    /// <summary>Room for a <c>struct sockaddr_in6</c> (28 bytes), the larger of the two families.</summary>
    public const int SockAddrCapacity = 28;

    /// <summary>Writes a <c>sockaddr_in</c> (16 bytes) or <c>sockaddr_in6</c> (28 bytes) and returns its length.</summary>
    public static int WriteSockAddr(NetworkAddress address, ushort port, byte* destination)
    {
        new Span<byte>(destination, SockAddrCapacity).Clear();
        *(ushort*)destination = (ushort)(address.IsIPv6 ? LibC.AF_INET6 : LibC.AF_INET);
        destination[2] = (byte)(port >> 8);
        destination[3] = (byte)port;
        if (address.IsIPv6)
        {
            address.WriteBytes(new Span<byte>(destination + 8, 16));
            return 28;
        }

        address.WriteBytes(new Span<byte>(destination + 4, 4));
        return 16;
    }

    /// <summary>Reads the address and port of a <c>sockaddr_in</c> or <c>sockaddr_in6</c>.</summary>
    public static (NetworkAddress Address, ushort Port) ReadSockAddr(byte* source)
    {
        var port = (ushort)((source[2] << 8) | source[3]);
        var address = *(ushort*)source == LibC.AF_INET6
            ? NetworkAddress.FromBytes(new ReadOnlySpan<byte>(source + 8, 16))
            : NetworkAddress.FromBytes(new ReadOnlySpan<byte>(source + 4, 4));
        return (address, port);
    }

    /// <summary>A non-blocking, close-on-exec TCP socket of the address's family, or -1 (errno set).</summary>
    public static int Open(NetworkAddress address)
        => LibC.Socket(address.IsIPv6 ? LibC.AF_INET6 : LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0);

    public static int SetOption(int fd, int level, int name, int value) => LibC.SetSockOpt(fd, level, name, &value, sizeof(int));

    /// <summary>The pending error of a socket (<c>SO_ERROR</c>), which also clears it; the result of a non-blocking connect.</summary>
    public static int PendingError(int fd)
    {
        var error = 0;
        var size = sizeof(int);
        return LibC.GetSockOpt(fd, LibC.SOL_SOCKET, LibC.SO_ERROR, &error, &size) == 0 ? error : Marshal.GetLastPInvokeError();
    }

    /// <summary>Closes with an RST instead of a FIN (<c>SO_LINGER</c> {1, 0}).</summary>
    public static void ResetAndClose(int fd)
    {
        if (fd < 0)
        {
            return;
        }

        var linger = stackalloc int[2] { 1, 0 };
        _ = LibC.SetSockOpt(fd, LibC.SOL_SOCKET, LibC.SO_LINGER, linger, 2 * sizeof(int));
        _ = LibC.Close(fd);
    }

    public static SocketError ToSocketError(int errno) => errno switch
    {
        0 => SocketError.Success,
        111 => SocketError.ConnectionRefused,        // ECONNREFUSED
        113 => SocketError.HostUnreachable,          // EHOSTUNREACH
        101 => SocketError.NetworkUnreachable,       // ENETUNREACH
        110 => SocketError.TimedOut,                 // ETIMEDOUT
        104 => SocketError.ConnectionReset,          // ECONNRESET
        32 => SocketError.Shutdown,                  // EPIPE
        103 => SocketError.ConnectionAborted,        // ECONNABORTED
        98 => SocketError.AddressAlreadyInUse,       // EADDRINUSE
        99 => SocketError.AddressNotAvailable,       // EADDRNOTAVAIL
        24 or 23 => SocketError.TooManyOpenSockets,  // EMFILE, ENFILE
        105 or 12 => SocketError.NoBufferSpaceAvailable, // ENOBUFS, ENOMEM
        13 or 1 => SocketError.AccessDenied,         // EACCES, EPERM
        97 => SocketError.AddressFamilyNotSupported, // EAFNOSUPPORT
        22 => SocketError.InvalidArgument,           // EINVAL
        _ => SocketError.SocketError,
    };
}
