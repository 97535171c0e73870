using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>An lblc entry (<c>ip_vs_lblc_entry</c>): destination address → real server.</summary>
internal sealed class LocalityServerEntry(NetworkAddress address, RealServerState destination, long lastUse)
    : LocalityEntry(address, lastUse)
{
    public RealServerState Destination { get; } = destination;
}
