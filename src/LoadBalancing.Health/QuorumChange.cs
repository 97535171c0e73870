using LoadBalancing.Runtime;

namespace LoadBalancing.Health;

/// <summary>A virtual service lost or regained its quorum (keepalived <c>quorum_down</c> / <c>quorum_up</c>).</summary>
/// <param name="Service">The virtual service.</param>
/// <param name="HasQuorum">Whether it has quorum now.</param>
/// <param name="LiveWeight">The sum of the weights of its live real servers.</param>
/// <param name="Threshold">The threshold that was crossed: quorum − hysteresis when lost, quorum + hysteresis when regained.</param>
/// <param name="SorryServer">The sorry server now serving, or <see langword="null"/> (quorum regained, or none configured).</param>
/// <param name="Timestamp">When it happened.</param>
public sealed record QuorumChange(VirtualServiceState Service, bool HasQuorum, long LiveWeight, long Threshold, RealServerState? SorryServer, DateTimeOffset Timestamp);
