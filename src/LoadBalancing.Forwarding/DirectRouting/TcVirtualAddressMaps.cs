using LoadBalancing.Forwarding.Linux.Bpf;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>
/// The virtual addresses the tcx classifier (<see cref="XdpMode.Tc"/>) marks <c>PACKET_OTHERHOST</c> when it passes a
/// frame to one: two BPF hash maps, IPv4 (a 4-byte key in network order) and IPv6 (a 16-byte key in network order),
/// each with a 4-byte value that is not read. The forwarder fills them before the classifier is attached and on every
/// service table change (<see cref="Set"/>).
/// </summary>
internal sealed unsafe class TcVirtualAddressMaps : IDisposable
{
    /// <summary>The most virtual addresses of each family (a larger service table keeps the first ones and logs).</summary>
    public const int MaxAddresses = 4096;

    private readonly SafeFileDescriptor _ipv4;
    private readonly SafeFileDescriptor _ipv6;
    private readonly HashSet<NetworkAddress> _present = [];

    private TcVirtualAddressMaps(SafeFileDescriptor ipv4, SafeFileDescriptor ipv6)
    {
        _ipv4 = ipv4;
        _ipv6 = ipv6;
    }

    /// <summary>Gets the IPv4 map's descriptor (for the program's map loads).</summary>
    public int IPv4 => _ipv4.Descriptor;

    /// <summary>Gets the IPv6 map's descriptor.</summary>
    public int IPv6 => _ipv6.Descriptor;

    /// <summary>Creates both maps, empty.</summary>
    public static TcVirtualAddressMaps Create()
    {
        var ipv4 = BpfSystemCall.CreateMap(BpfSystemCall.MapTypeHash, 4, 4, MaxAddresses, "lb_dr_vip4");
        try
        {
            return new TcVirtualAddressMaps(ipv4, BpfSystemCall.CreateMap(BpfSystemCall.MapTypeHash, 16, 4, MaxAddresses, "lb_dr_vip6"));
        }
        catch
        {
            ipv4.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Makes the maps hold exactly <paramref name="addresses"/>: new ones are added before removed ones are deleted,
    /// so an address in both the old and the new set is never missing.
    /// </summary>
    /// <exception cref="BpfException">A map update failed (for instance more than <see cref="MaxAddresses"/> of a family).</exception>
    public void Set(IEnumerable<NetworkAddress> addresses)
    {
        var wanted = addresses.ToHashSet();
        var key = stackalloc byte[16];
        uint one = 1;
        foreach (var address in wanted.Where(a => !_present.Contains(a)))
        {
            address.WriteBytes(new Span<byte>(key, 16));
            BpfSystemCall.Update(Map(address), key, &one);
            _present.Add(address);
        }

        foreach (var address in _present.Where(a => !wanted.Contains(a)).ToArray())
        {
            address.WriteBytes(new Span<byte>(key, 16));
            BpfSystemCall.Delete(Map(address), key);
            _present.Remove(address);
        }
    }

    /// <summary>Reads the maps back (tests and diagnostics): every address the kernel holds.</summary>
    public IReadOnlyList<NetworkAddress> Read()
    {
        var result = new List<NetworkAddress>();
        Span<byte> key = stackalloc byte[16];
        Span<byte> next = stackalloc byte[16];
        foreach (var (map, length) in new[] { (_ipv4, 4), (_ipv6, 16) })
        {
            fixed (byte* k = key)
            fixed (byte* n = next)
            {
                var found = BpfSystemCall.GetNextKey(map, null, n);
                while (found && result.Count < 2 * MaxAddresses)
                {
                    result.Add(NetworkAddress.FromBytes(next[..length]));
                    next[..length].CopyTo(key);
                    found = BpfSystemCall.GetNextKey(map, k, n);
                }
            }
        }

        return result;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _ipv4.Dispose();
        _ipv6.Dispose();
    }

    private SafeFileDescriptor Map(NetworkAddress address) => address.IsIPv6 ? _ipv6 : _ipv4;
}
