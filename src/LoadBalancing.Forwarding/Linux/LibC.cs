using System.Runtime.InteropServices;

namespace LoadBalancing.Forwarding.Linux;

/// <summary>The libc calls the packet and netlink sockets need (Linux x64/arm64 ABI).</summary>
internal static unsafe partial class LibC
{
    /// <summary><c>struct iovec</c>.</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary><c>struct mmsghdr</c>: a <c>struct msghdr</c> and the byte count the kernel sent.</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;

        // struct msghdr ends padded to 8 bytes (56 on 64-bit); msg_len follows, and the array stride is 64.
        public int Padding;
        public uint SentLength;
    }

    /// <summary><c>struct pollfd</c>.</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    public const int AF_NETLINK = 16;
    public const int AF_PACKET = 17;
    public const int SOCK_RAW = 3;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SO_RCVTIMEO = 20;
    public const int SO_ATTACH_FILTER = 26;
    public const int SO_RCVBUF = 8;
    public const int SOL_PACKET = 263;
    public const int PACKET_FANOUT = 18;
    public const int PACKET_IGNORE_OUTGOING = 23;
    public const int PACKET_FANOUT_HASH = 0;
    public const int PACKET_FANOUT_CPU = 2;
    public const int PACKET_FANOUT_FLAG_IGNORE_OUTGOING = 0x4000;
    public const int PACKET_RX_RING = 5;
    public const int PACKET_VERSION = 10;
    public const int PACKET_STATISTICS = 6;
    public const int TPACKET_V2 = 1;
    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 1;
    public const short POLLIN = 1;
    public const short POLLERR = 8;
    public const int NETLINK_ROUTE = 0;
    public const ushort ETH_P_ALL = 0x0003;
    public const ushort ETH_P_IP = 0x0800;
    public const ushort ETH_P_IPV6 = 0x86DD;
    public const ulong SIOCGIFINDEX = 0x8933;
    public const ulong SIOCGIFHWADDR = 0x8927;
    public const ulong SIOCGIFMTU = 0x8921;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int IFNAMSIZ = 16;

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, void* address, int addressLength);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    [LibraryImport("libc", EntryPoint = "nanosleep", SetLastError = true)]
    private static partial int NanoSleep(TimeSpec* request, TimeSpec* remaining);

    /// <summary>Sleeps for a few microseconds (high-resolution timer; interruptions end the sleep early, which is harmless here).</summary>
    public static void Sleep(long nanoseconds)
    {
        var request = new TimeSpec { Seconds = nanoseconds / 1_000_000_000, Nanoseconds = nanoseconds % 1_000_000_000 };
        NanoSleep(&request, null);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, int* length);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, void* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, void* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    public static partial nint SendTo(int fd, void* buffer, nint length, int flags, void* address, int addressLength);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, ulong request, void* argument);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* address, nuint length);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);
}
