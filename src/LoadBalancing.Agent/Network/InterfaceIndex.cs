using System.Runtime.InteropServices;

namespace LoadBalancing.Agent.Network;

/// <summary>Interface name to index (if_nametoindex(3)), in the calling process's network namespace.</summary>
internal static partial class InterfaceIndex
{
    public static int? Find(string name)
    {
        var index = IfNameToIndex(name);
        return index == 0 ? null : (int)index;
    }

    [LibraryImport("libc", EntryPoint = "if_nametoindex", StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint IfNameToIndex(string name);
}
