using System.Collections.Concurrent;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>
/// The neighbour table of the data path: filled from the kernel's neighbour table (or statically in tests).
/// A known MAC is kept when the kernel's entry goes stale or disappears, since forwarded frames bypass the
/// kernel's neighbour code and so never refresh it; the resolver re-probes such addresses.
/// </summary>
internal sealed class NeighbourCache : INeighbourTable, IDisposable
{
    private readonly ConcurrentDictionary<NetworkAddress, MacAddress> _macs = new();
    private readonly ConcurrentDictionary<NetworkAddress, byte> _wanted = new();
    private readonly AutoResetEvent _wantedSignal = new(false);

    /// <summary>Gets a handle signalled when the data path asked for a resolution.</summary>
    public WaitHandle WantedSignal => _wantedSignal;

    public int Count => _macs.Count;

    public bool TryGetMac(NetworkAddress address, out MacAddress mac) => _macs.TryGetValue(address, out mac);

    public void RequestResolution(NetworkAddress address)
    {
        if (_wanted.TryAdd(address, 0))
        {
            _wantedSignal.Set();
        }
    }

    public void Set(NetworkAddress address, MacAddress mac)
    {
        _macs[address] = mac;
        _wanted.TryRemove(address, out _);
    }

    public void Remove(NetworkAddress address) => _macs.TryRemove(address, out _);

    public void Dispose() => _wantedSignal.Dispose();

    /// <summary>Takes the addresses the data path asked for since the last call.</summary>
    public List<NetworkAddress> TakeWanted()
    {
        var list = new List<NetworkAddress>();
        foreach (var address in _wanted.Keys)
        {
            if (_wanted.TryRemove(address, out _))
            {
                list.Add(address);
            }
        }

        return list;
    }
}
