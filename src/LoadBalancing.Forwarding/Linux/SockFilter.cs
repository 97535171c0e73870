using System.Runtime.InteropServices;

namespace LoadBalancing.Forwarding.Linux;

/// <summary>One classic BPF instruction, <c>struct sock_filter</c> (linux/filter.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct SockFilter(ushort Code, byte JumpTrue, byte JumpFalse, uint K);
