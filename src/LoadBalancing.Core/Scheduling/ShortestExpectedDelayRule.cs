using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// sed, as <c>net/netfilter/ipvs/ip_vs_sed.c</c>: the least expected delay <c>(act + 1) / weight</c>, the
/// <c>+ 1</c> being the connection about to be scheduled; inactive connections are ignored.
/// </summary>
/// <remarks>
/// Same scan and comparison as wlc (<see cref="WeightedLeastConnectionRule"/>), only the overhead differs.
/// For UDP services (act always 0) it degenerates to "the first destination with the highest weight".
/// </remarks>
internal readonly struct ShortestExpectedDelayRule : ILeastLoadRule
{
    public static LoadKey KeyOf(RealServerState destination)
    {
        var weight = destination.Weight;
        return new LoadKey(!destination.IsOverloaded && weight > 0, destination.ActiveConnections + 1L, weight, Idle: false);
    }

    public static bool Replaces(in LoadKey candidate, in LoadKey best) => LoadKey.HasLowerWeightedLoad(candidate, best);
}
