using System.Runtime.InteropServices;
using System.Text;
using LoadBalancing.Forwarding.DirectRouting;

namespace LoadBalancing.Forwarding.Linux.Bpf;

/// <summary>
/// The <c>bpf(2)</c> commands the XDP fast path uses, through libc's <c>syscall()</c> (glibc has no <c>bpf()</c>
/// wrapper). Every <c>union bpf_attr</c> is built in a zeroed buffer at the offsets of <c>linux/bpf.h</c>; the
/// kernel rejects non-zero bytes beyond the fields a command knows, so the size passed is the buffer's.
/// </summary>
internal static unsafe partial class BpfSystemCall
{
    public const int MapTypeHash = 1;
    public const int MapTypeArray = 2;
    public const int MapTypeLruHash = 9;

    /// <summary><c>BPF_F_MMAPABLE</c>: an array map whose values can be mapped into user space (Linux 5.5).</summary>
    public const uint MapFlagMmapable = 1u << 10;
    public const int ProgramTypeSchedClassifier = 3;
    public const int ProgramTypeXdp = 6;
    public const int AttachTypeXdp = 37;
    public const int AttachTypeTcxIngress = 46;
    public const uint XdpFlagsSkbMode = 2;
    public const uint XdpFlagsDriverMode = 4;
    public const int ENOENT = 2;

    private const int MapCreate = 0;
    private const int MapLookupElement = 1;
    private const int MapUpdateElement = 2;
    private const int MapDeleteElement = 3;
    private const int MapGetNextKey = 4;
    private const int ProgramLoad = 5;
    private const int ProgramTestRun = 10;
    private const int MapLookupAndDeleteElement = 21;
    private const int MapLookupBatch = 24;
    private const int LinkCreate = 28;
    private const int AttributeSize = 128;

    // glibc's sigset_t (1024 bits); SIG_BLOCK and SIG_SETMASK on Linux (x86_64 and arm64); EAGAIN.
    private const int SignalSetSize = 128;
    private const int SignalBlock = 0;
    private const int SignalSetMask = 2;
    private const int TryAgain = 11;

    /// <summary>Gets the <c>SYS_bpf</c> number of this architecture, or 0 where it is not known.</summary>
    public static long SystemCallNumber => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 => 280,
        _ => 0,
    };

    public static SafeFileDescriptor CreateMap(int type, int keySize, int valueSize, int maxEntries, string name)
        => CreateMap(type, keySize, valueSize, maxEntries, 0, name);

    public static SafeFileDescriptor CreateMap(int type, int keySize, int valueSize, int maxEntries, uint flags, string name)
    {
        var attr = stackalloc byte[AttributeSize];
        var span = new Span<byte>(attr, AttributeSize);
        span.Clear();
        *(uint*)attr = (uint)type;
        *(uint*)(attr + 4) = (uint)keySize;
        *(uint*)(attr + 8) = (uint)valueSize;
        *(uint*)(attr + 12) = (uint)maxEntries;
        *(uint*)(attr + 16) = flags;
        WriteName(span[28..44], name);
        return new SafeFileDescriptor(Invoke(MapCreate, attr, "BPF_MAP_CREATE"));
    }

    /// <summary>Loads a program; when the verifier refuses it, the exception message carries the verifier's log.</summary>
    public static SafeFileDescriptor LoadProgram(int type, ReadOnlySpan<EbpfInstruction> instructions, int expectedAttachType, string name)
    {
        const int LogSize = 256 * 1024;
        var log = new byte[LogSize];
        var license = "GPL\0"u8;
        var attr = stackalloc byte[AttributeSize];
        var span = new Span<byte>(attr, AttributeSize);
        fixed (EbpfInstruction* code = instructions)
        fixed (byte* licenseBytes = license)
        fixed (byte* logBuffer = log)
        {
            for (var logLevel = 0; logLevel <= 1; logLevel++)
            {
                span.Clear();
                *(uint*)attr = (uint)type;
                *(uint*)(attr + 4) = (uint)instructions.Length;
                *(ulong*)(attr + 8) = (ulong)code;
                *(ulong*)(attr + 16) = (ulong)licenseBytes;
                if (logLevel > 0)
                {
                    *(uint*)(attr + 24) = (uint)logLevel;
                    *(uint*)(attr + 28) = LogSize;
                    *(ulong*)(attr + 32) = (ulong)logBuffer;
                }

                WriteName(span[48..64], name);
                *(uint*)(attr + 68) = (uint)expectedAttachType;
                var fd = LoadWithSignalsBlocked(attr, out var errno);
                if (fd >= 0)
                {
                    return new SafeFileDescriptor((int)fd);
                }

                if (logLevel == 1 || errno is not (22 or 13))
                {
                    // EINVAL/EACCES come from the verifier: load again with a log to say why.
                    var text = Encoding.ASCII.GetString(log, 0, Math.Max(0, Array.IndexOf(log, (byte)0))).Trim();
                    throw new BpfException(errno, $"BPF_PROG_LOAD of '{name}' failed: {Marshal.GetPInvokeErrorMessage(errno)}"
                        + (text.Length > 0 ? $"; verifier log:\n{text}" : ""));
                }
            }
        }

        throw new InvalidOperationException("unreachable");
    }

    public static bool Lookup<TKey, TValue>(SafeFileDescriptor map, in TKey key, out TValue value)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        TValue result;
        fixed (TKey* k = &key)
        {
            var found = Lookup(map, k, &result);
            value = found ? result : default;
            return found;
        }
    }

    public static bool Delete<TKey>(SafeFileDescriptor map, in TKey key)
        where TKey : unmanaged
    {
        fixed (TKey* k = &key)
        {
            return Delete(map, k);
        }
    }

    public static void Update<TKey, TValue>(SafeFileDescriptor map, in TKey key, in TValue value)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        fixed (TKey* k = &key)
        fixed (TValue* v = &value)
        {
            Update(map, k, v);
        }
    }

    public static bool Lookup(SafeFileDescriptor map, void* key, void* value) => ElementCommand(MapLookupElement, map, key, value, 0, "BPF_MAP_LOOKUP_ELEM");

    public static bool LookupAndDelete(SafeFileDescriptor map, void* key, void* value) => ElementCommand(MapLookupAndDeleteElement, map, key, value, 0, "BPF_MAP_LOOKUP_AND_DELETE_ELEM");

    public static void Update(SafeFileDescriptor map, void* key, void* value) => ElementCommand(MapUpdateElement, map, key, value, 0, "BPF_MAP_UPDATE_ELEM");

    /// <summary>The key after <paramref name="key"/> (the first key when <paramref name="key"/> is null); <see langword="false"/> at the end.</summary>
    public static bool GetNextKey(SafeFileDescriptor map, void* key, void* nextKey) => ElementCommand(MapGetNextKey, map, key, nextKey, 0, "BPF_MAP_GET_NEXT_KEY");

    public static bool Delete(SafeFileDescriptor map, void* key) => ElementCommand(MapDeleteElement, map, key, null, 0, "BPF_MAP_DELETE_ELEM");

    /// <summary>
    /// Attaches an XDP program to an interface through a BPF link (<c>BPF_LINK_CREATE</c>, attach type
    /// <c>BPF_XDP</c>): the kernel detaches it when the last descriptor of the link closes, also when the process dies.
    /// </summary>
    public static SafeFileDescriptor CreateXdpLink(SafeFileDescriptor program, int interfaceIndex, uint flags)
    {
        var attr = stackalloc byte[AttributeSize];
        new Span<byte>(attr, AttributeSize).Clear();
        *(uint*)attr = (uint)program.Descriptor;
        *(uint*)(attr + 4) = (uint)interfaceIndex;
        *(uint*)(attr + 8) = AttachTypeXdp;
        *(uint*)(attr + 12) = flags;
        return new SafeFileDescriptor(Invoke(LinkCreate, attr, "BPF_LINK_CREATE (BPF_XDP)"));
    }

    /// <summary>
    /// Attaches a classifier to an interface's ingress through a tcx link (<c>BPF_LINK_CREATE</c>, attach type
    /// <c>BPF_TCX_INGRESS</c>, Linux 6.6 or later), after any programs already there; like the XDP link it goes
    /// when its last descriptor closes.
    /// </summary>
    public static SafeFileDescriptor CreateTcxIngressLink(SafeFileDescriptor program, int interfaceIndex)
    {
        var attr = stackalloc byte[AttributeSize];
        new Span<byte>(attr, AttributeSize).Clear();
        *(uint*)attr = (uint)program.Descriptor;
        *(uint*)(attr + 4) = (uint)interfaceIndex;
        *(uint*)(attr + 8) = AttachTypeTcxIngress;
        return new SafeFileDescriptor(Invoke(LinkCreate, attr, "BPF_LINK_CREATE (BPF_TCX_INGRESS)"));
    }

    /// <summary>
    /// Runs a program once on a frame (<c>BPF_PROG_TEST_RUN</c>): returns the verdict and the frame as the program
    /// left it (its length in <paramref name="outputLength"/>).
    /// </summary>
    public static uint TestRun(SafeFileDescriptor program, ReadOnlySpan<byte> input, Span<byte> output, out int outputLength)
    {
        var attr = stackalloc byte[AttributeSize];
        new Span<byte>(attr, AttributeSize).Clear();
        fixed (byte* inputBytes = input)
        fixed (byte* outputBytes = output)
        {
            *(uint*)attr = (uint)program.Descriptor;
            *(uint*)(attr + 8) = (uint)input.Length;
            *(uint*)(attr + 12) = (uint)output.Length;
            *(ulong*)(attr + 16) = (ulong)inputBytes;
            *(ulong*)(attr + 24) = (ulong)outputBytes;
            *(uint*)(attr + 32) = 1;
            Invoke(ProgramTestRun, attr, "BPF_PROG_TEST_RUN");
        }

        outputLength = (int)*(uint*)(attr + 12);
        return *(uint*)(attr + 4);
    }

    /// <summary>
    /// Reads as many entries of a hash map as the buffers hold in one call (<c>BPF_MAP_LOOKUP_BATCH</c>, Linux
    /// 5.6+), continuing after <paramref name="position"/> (a bucket index the kernel hands back; start with
    /// <paramref name="first"/> true). Returns how many were copied into <paramref name="keys"/> and
    /// <paramref name="values"/>; <paramref name="done"/> is set once the walk has reached the end.
    /// </summary>
    /// <exception cref="BpfException">The command failed (<c>EINVAL</c> on kernels without it; <c>ENOSPC</c> when one
    /// bucket holds more entries than the buffers).</exception>
    public static int LookupBatch<TKey, TValue>(SafeFileDescriptor map, bool first, ref ulong position, Span<TKey> keys, Span<TValue> values, out bool done)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        fixed (TKey* k = keys)
        fixed (TValue* v = values)
        {
            return LookupBatch(map, first, ref position, k, v, Math.Min(keys.Length, values.Length), out done);
        }
    }

    /// <summary>The batch read of <see cref="LookupBatch{TKey, TValue}"/> into raw buffers of <paramref name="count"/> entries.</summary>
    public static int LookupBatch(SafeFileDescriptor map, bool first, ref ulong position, void* keys, void* values, int count, out bool done)
    {
        const int BatchAttributeSize = 56;
        var attr = stackalloc byte[BatchAttributeSize];
        new Span<byte>(attr, BatchAttributeSize).Clear();
        var inPosition = position;
        ulong outPosition = 0;
        *(ulong*)attr = first ? 0 : (ulong)&inPosition;
        *(ulong*)(attr + 8) = (ulong)&outPosition;
        *(ulong*)(attr + 16) = (ulong)keys;
        *(ulong*)(attr + 24) = (ulong)values;
        *(uint*)(attr + 32) = (uint)count;
        *(uint*)(attr + 36) = (uint)map.Descriptor;
        var result = Syscall(SystemCall(), MapLookupBatch, attr, BatchAttributeSize);
        var copied = (int)*(uint*)(attr + 32);
        if (result >= 0)
        {
            position = outPosition;
            done = false;
            return copied;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == ENOENT)
        {
            done = true; // the end: the last entries, if any, were copied too
            return copied;
        }

        throw new BpfException(errno, $"BPF_MAP_LOOKUP_BATCH failed: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    /// <summary>Map element commands; a missing key (<c>ENOENT</c>) is <see langword="false"/>, other errors throw.</summary>
    private static bool ElementCommand(int command, SafeFileDescriptor map, void* key, void* value, ulong flags, string what)
    {
        var attr = stackalloc byte[32];
        new Span<byte>(attr, 32).Clear();
        *(uint*)attr = (uint)map.Descriptor;
        *(ulong*)(attr + 8) = (ulong)key;
        *(ulong*)(attr + 16) = (ulong)value;
        *(ulong*)(attr + 24) = flags;
        if (Syscall(SystemCall(), command, attr, 32) >= 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == ENOENT ? false : throw new BpfException(errno, $"{what} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    private static int Invoke(int command, byte* attr, string what)
    {
        var result = Syscall(SystemCall(), command, attr, AttributeSize);
        if (result < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new BpfException(errno, $"{what} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        return (int)result;
    }

    private static long SystemCall()
    {
        var number = SystemCallNumber;
        return number != 0 ? number
            : throw new PlatformNotSupportedException($"The XDP fast path knows the bpf() system call number on x86_64 and arm64 only, not on {RuntimeInformation.ProcessArchitecture}.");
    }

    private static void WriteName(Span<byte> destination, string name)
    {
        // BPF object names: at most 15 characters of [A-Za-z0-9_.], NUL-terminated.
        var length = Math.Min(name.Length, destination.Length - 1);
        Encoding.ASCII.GetBytes(name.AsSpan(0, length), destination);
    }

    /// <summary>
    /// <c>BPF_PROG_LOAD</c> with the calling thread's signals blocked. The verifier gives up with <c>EAGAIN</c> when a
    /// signal is pending for the loading thread, and a process-directed signal (a child process's <c>SIGCHLD</c>)
    /// may pick any thread that does not block it; so it runs blocked, and an <c>EAGAIN</c> all the same is tried
    /// again a few times, as libbpf does.
    /// </summary>
    private static long LoadWithSignalsBlocked(byte* attr, out int errno)
    {
        const int Attempts = 5;
        var all = stackalloc byte[SignalSetSize];
        var saved = stackalloc byte[SignalSetSize];
        new Span<byte>(all, SignalSetSize).Fill(0xFF);
        var blocked = PthreadSigmask(SignalBlock, all, saved) == 0;
        try
        {
            long fd;
            var attempt = 0;
            do
            {
                fd = Syscall(SystemCall(), ProgramLoad, attr, AttributeSize);
                errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
            while (errno == TryAgain && ++attempt < Attempts);

            return fd;
        }
        finally
        {
            if (blocked)
            {
                _ = PthreadSigmask(SignalSetMask, saved, null);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "pthread_sigmask")]
    private static partial int PthreadSigmask(int how, byte* set, byte* oldSet);

    // syscall(2) is variadic; every argument here is an integer or pointer, which x86_64 and arm64 pass in the same
    // registers as for a non-variadic call.
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long command, void* attr, long size);
}
