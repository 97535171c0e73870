using System.Collections.Immutable;
using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// A scheduler instance bound to one virtual service: it picks the real server for a new connection
/// (IPVS's <c>ip_vs_scheduler.schedule</c>).
/// </summary>
/// <remarks>
/// Thread safety: <see cref="Pick"/> and <see cref="OnLoadChanged"/> may be called concurrently from any
/// thread, and concurrently with <see cref="OnDestinationsChanged"/>; calls to
/// <see cref="OnDestinationsChanged"/> are serialized by the service table. <see cref="Pick"/> is the hot
/// path: it must not allocate and must not throw.
/// </remarks>
public interface IScheduler
{
    /// <summary>
    /// Called once after creation and then whenever a destination is added, removed or edited (weight,
    /// thresholds): the kernel's <c>add_dest</c>, <c>del_dest</c> and <c>upd_dest</c> hooks.
    /// </summary>
    /// <param name="destinations">All destinations in kernel order: newest first.</param>
    void OnDestinationsChanged(ImmutableArray<RealServerState> destinations);

    /// <summary>
    /// Called after a destination's connection counters or OVERLOAD flag changed. Schedulers that keep an
    /// index over the load (lc, wlc, sed, nq) update it here; the default does nothing.
    /// </summary>
    /// <param name="destination">The destination whose load changed.</param>
    void OnLoadChanged(RealServerState destination)
    {
    }

    /// <summary>Chooses a destination for a new connection.</summary>
    /// <param name="request">What IPVS looks at: protocol, client and destination addresses and ports.</param>
    /// <returns>The chosen destination, or <see langword="null"/> when none is available (the packet is dropped).</returns>
    RealServerState? Pick(in SchedulingRequest request);
}
