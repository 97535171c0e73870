namespace LoadBalancing.Forwarding.Linux.Bpf;

/// <summary>
/// A small eBPF emitter: one method per instruction form the XDP fast path needs, and named labels for forward
/// jumps (resolved by <see cref="Build"/>). Opcodes are those of <c>linux/bpf.h</c> and <c>linux/bpf_common.h</c>.
/// </summary>
internal sealed class EbpfAssembler
{
    // Classes, sizes, modes and operations (linux/bpf_common.h, linux/bpf.h).
    private const byte ClassLd = 0x00, ClassLdx = 0x01, ClassSt = 0x02, ClassStx = 0x03, ClassAlu = 0x04, ClassJmp = 0x05, ClassJmp32 = 0x06, ClassAlu64 = 0x07;
    private const byte SourceK = 0x00, SourceX = 0x08;
    private const byte ModeImm = 0x00, ModeAbsolute = 0x20, ModeMem = 0x60, ModeAtomic = 0xC0;
    private const byte OpAdd = 0x00, OpSub = 0x10, OpOr = 0x40, OpAnd = 0x50, OpLsh = 0x60, OpRsh = 0x70, OpMov = 0xB0, OpEnd = 0xD0;
    private const int AtomicFetch = 0x01, AtomicCompareExchange = 0xF0 | AtomicFetch;
    private const byte JumpAlways = 0x00, JumpCall = 0x80, JumpExit = 0x90;
    private const byte EndToBigEndian = 0x08;

    /// <summary><c>BPF_PSEUDO_MAP_FD</c>: the 64-bit immediate of <c>ld_imm64</c> is a map descriptor.</summary>
    private const int PseudoMapFd = 1;

    private readonly List<EbpfInstruction> _code = [];
    private readonly Dictionary<string, int> _labels = [];
    private readonly List<(int At, string Label)> _fixups = [];

    /// <summary>Register numbers: R0 return value, R1–R5 arguments (clobbered by calls), R6–R9 callee-saved, R10 frame pointer.</summary>
    public const int R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;

    public int Count => _code.Count;

    /// <summary>Memory access sizes (<c>BPF_W</c>, <c>BPF_H</c>, <c>BPF_B</c>, <c>BPF_DW</c>).</summary>
    public enum Size : byte
    {
        Word = 0x00,
        Half = 0x08,
        Byte = 0x10,
        Double = 0x18,
    }

    /// <summary>Jump conditions (<c>BPF_JEQ</c>, <c>BPF_JGT</c>, <c>BPF_JGE</c>, <c>BPF_JNE</c>, <c>BPF_JLT</c>).</summary>
    public enum Condition : byte
    {
        Equal = 0x10,
        Greater = 0x20,
        GreaterOrEqual = 0x30,
        NotEqual = 0x50,
        Less = 0xA0,
    }

    /// <summary><c>dst = *(size *)(src + offset)</c>.</summary>
    public EbpfAssembler Load(Size size, int destination, int source, short offset)
        => Emit((byte)(ClassLdx | ModeMem | (byte)size), destination, source, offset, 0);

    /// <summary>
    /// <c>R0 = ntoh(*(size *)(skb->data + offset))</c> (<c>BPF_LD | BPF_ABS</c>, socket filters and classifiers): the
    /// context must be in R6; R1–R5 are clobbered, and a read beyond the packet ends the program with 0.
    /// </summary>
    public EbpfAssembler LoadAbsolute(Size size, int offset)
        => Emit((byte)(ClassLd | ModeAbsolute | (byte)size), 0, 0, 0, offset);

    /// <summary><c>*(size *)(dst + offset) = src</c>.</summary>
    public EbpfAssembler Store(Size size, int destination, short offset, int source)
        => Emit((byte)(ClassStx | ModeMem | (byte)size), destination, source, offset, 0);

    /// <summary><c>*(size *)(dst + offset) = immediate</c>.</summary>
    public EbpfAssembler StoreImmediate(Size size, int destination, short offset, int immediate)
        => Emit((byte)(ClassSt | ModeMem | (byte)size), destination, 0, offset, immediate);

    /// <summary><c>lock *(u64 *)(dst + offset) += src</c> (<c>BPF_ATOMIC | BPF_DW</c>, <c>BPF_ADD</c>).</summary>
    public EbpfAssembler AtomicAdd64(int destination, short offset, int source)
        => Emit((byte)(ClassStx | ModeAtomic | (byte)Size.Double), destination, source, offset, OpAdd);

    /// <summary>
    /// <c>src = atomic_fetch_add((u64 *)(dst + offset), src)</c> (<c>BPF_ATOMIC | BPF_DW</c>, <c>BPF_ADD | BPF_FETCH</c>,
    /// Linux 5.12): adds and returns the previous value in <paramref name="source"/>.
    /// </summary>
    public EbpfAssembler AtomicFetchAdd64(int destination, short offset, int source)
        => Emit((byte)(ClassStx | ModeAtomic | (byte)Size.Double), destination, source, offset, OpAdd | AtomicFetch);

    /// <summary>
    /// <c>R0 = atomic_cmpxchg((u64 *)(dst + offset), R0, src)</c> (<c>BPF_ATOMIC | BPF_DW</c>, <c>BPF_CMPXCHG</c>,
    /// Linux 5.12): stores <paramref name="source"/> if the word holds R0, and returns what it held in R0 either way.
    /// </summary>
    public EbpfAssembler AtomicCompareExchange64(int destination, short offset, int source)
        => Emit((byte)(ClassStx | ModeAtomic | (byte)Size.Double), destination, source, offset, AtomicCompareExchange);

    /// <summary><c>dst &lt;&lt;= immediate</c> (64-bit).</summary>
    public EbpfAssembler ShiftLeft(int destination, int bits) => Emit(ClassAlu64 | OpLsh | SourceK, destination, 0, 0, bits);

    /// <summary><c>dst &gt;&gt;= immediate</c> (64-bit, logical).</summary>
    public EbpfAssembler ShiftRight(int destination, int bits) => Emit(ClassAlu64 | OpRsh | SourceK, destination, 0, 0, bits);

    /// <summary><c>dst = immediate</c> (64-bit, sign-extended).</summary>
    public EbpfAssembler Move(int destination, int immediate) => Emit(ClassAlu64 | OpMov | SourceK, destination, 0, 0, immediate);

    /// <summary><c>dst = src</c>.</summary>
    public EbpfAssembler MoveRegister(int destination, int source) => Emit(ClassAlu64 | OpMov | SourceX, destination, source, 0, 0);

    /// <summary><c>dst += immediate</c>.</summary>
    public EbpfAssembler Add(int destination, int immediate) => Emit(ClassAlu64 | OpAdd | SourceK, destination, 0, 0, immediate);

    /// <summary><c>dst += src</c>.</summary>
    public EbpfAssembler AddRegister(int destination, int source) => Emit(ClassAlu64 | OpAdd | SourceX, destination, source, 0, 0);

    /// <summary><c>dst -= src</c>.</summary>
    public EbpfAssembler SubtractRegister(int destination, int source) => Emit(ClassAlu64 | OpSub | SourceX, destination, source, 0, 0);

    /// <summary><c>dst |= immediate</c>.</summary>
    public EbpfAssembler Or(int destination, int immediate) => Emit(ClassAlu64 | OpOr | SourceK, destination, 0, 0, immediate);

    /// <summary><c>dst |= src</c>.</summary>
    public EbpfAssembler OrRegister(int destination, int source) => Emit(ClassAlu64 | OpOr | SourceX, destination, source, 0, 0);

    /// <summary><c>dst &amp;= immediate</c>.</summary>
    public EbpfAssembler And(int destination, int immediate) => Emit(ClassAlu64 | OpAnd | SourceK, destination, 0, 0, immediate);

    /// <summary><c>dst = htobe{bits}(dst)</c>: network order to host order on a little-endian machine (and back).</summary>
    public EbpfAssembler ToBigEndian(int destination, int bits) => Emit(ClassAlu | OpEnd | EndToBigEndian, destination, 0, 0, bits);

    /// <summary><c>ld_imm64 dst, map</c>: the kernel replaces the descriptor with the map's address at load time.</summary>
    public EbpfAssembler LoadMap(int destination, int mapDescriptor)
    {
        Emit(ClassLd | ModeImm | (byte)Size.Double, destination, PseudoMapFd, 0, mapDescriptor);
        return Emit(0, 0, 0, 0, 0);
    }

    /// <summary><c>if dst (cond) immediate goto label</c> (unsigned comparisons).</summary>
    public EbpfAssembler JumpIf(Condition condition, int destination, int immediate, string label)
    {
        _fixups.Add((_code.Count, label));
        return Emit((byte)(ClassJmp | (byte)condition | SourceK), destination, 0, 0, immediate);
    }

    /// <summary><c>if (u32)dst (cond) (u32)immediate goto label</c> (<c>BPF_JMP32</c>: no sign extension of the immediate).</summary>
    public EbpfAssembler JumpIf32(Condition condition, int destination, uint immediate, string label)
    {
        _fixups.Add((_code.Count, label));
        return Emit((byte)(ClassJmp32 | (byte)condition | SourceK), destination, 0, 0, unchecked((int)immediate));
    }

    /// <summary><c>if dst (cond) src goto label</c> (unsigned comparisons).</summary>
    public EbpfAssembler JumpIfRegister(Condition condition, int destination, int source, string label)
    {
        _fixups.Add((_code.Count, label));
        return Emit((byte)(ClassJmp | (byte)condition | SourceX), destination, source, 0, 0);
    }

    /// <summary><c>if (u32)dst (cond) (u32)src goto label</c> (<c>BPF_JMP32</c>).</summary>
    public EbpfAssembler JumpIf32Register(Condition condition, int destination, int source, string label)
    {
        _fixups.Add((_code.Count, label));
        return Emit((byte)(ClassJmp32 | (byte)condition | SourceX), destination, source, 0, 0);
    }

    /// <summary><c>goto label</c>.</summary>
    public EbpfAssembler Jump(string label)
    {
        _fixups.Add((_code.Count, label));
        return Emit(ClassJmp | JumpAlways, 0, 0, 0, 0);
    }

    /// <summary>
    /// <c>R0 = bpf_map_lookup_elem(map, R10 + keyOffset)</c>: the value's address, or 0 (helper 1; R1–R5 clobbered).
    /// </summary>
    public EbpfAssembler CallMapLookup(int mapDescriptor, short keyOffset)
        => LoadMap(R1, mapDescriptor).MoveRegister(R2, R10).Add(R2, keyOffset).Call(1);

    /// <summary>Calls helper <paramref name="helper"/> (<c>BPF_FUNC_*</c>); arguments in R1–R5, result in R0.</summary>
    public EbpfAssembler Call(int helper) => Emit(ClassJmp | JumpCall, 0, 0, 0, helper);

    /// <summary>Returns R0.</summary>
    public EbpfAssembler Exit() => Emit(ClassJmp | JumpExit, 0, 0, 0, 0);

    /// <summary>Defines <paramref name="name"/> at the next instruction.</summary>
    public EbpfAssembler Label(string name)
    {
        if (!_labels.TryAdd(name, _code.Count))
        {
            throw new InvalidOperationException($"eBPF label '{name}' defined twice.");
        }

        return this;
    }

    /// <summary>Resolves the jumps (offsets count instructions after the jump) and returns the program.</summary>
    public EbpfInstruction[] Build()
    {
        var program = _code.ToArray();
        foreach (var (at, label) in _fixups)
        {
            if (!_labels.TryGetValue(label, out var target))
            {
                throw new InvalidOperationException($"eBPF label '{label}' is not defined.");
            }

            var offset = target - at - 1;
            if (offset is < short.MinValue or > short.MaxValue)
            {
                throw new InvalidOperationException($"eBPF jump to '{label}' is out of range.");
            }

            program[at] = program[at] with { Offset = (short)offset };
        }

        return program;
    }

    private EbpfAssembler Emit(byte code, int destination, int source, short offset, int immediate)
    {
        _code.Add(EbpfInstruction.Create(code, destination, source, offset, immediate));
        return this;
    }
}
