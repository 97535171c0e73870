using Microsoft.Win32.SafeHandles;

namespace LoadBalancing.Forwarding.Linux.Bpf;

/// <summary>A descriptor of a BPF object (map, program, link), closed once when disposed.</summary>
internal sealed class SafeFileDescriptor : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeFileDescriptor(int descriptor)
        : base(ownsHandle: true)
    {
        SetHandle(descriptor);
    }

    public int Descriptor => (int)handle;

    protected override bool ReleaseHandle() => LibC.Close((int)handle) == 0;
}
