using LoadBalancing.Runtime;

namespace LoadBalancing.Health.Outliers;

/// <summary>A real server was ejected by passive health checking, or returned after its ejection time.</summary>
/// <param name="Destination">The real server.</param>
/// <param name="IsEjected">Whether it is ejected now.</param>
/// <param name="Reason">The policy that ejected it, or <see cref="OutlierEjectionReason.EjectionTimeElapsed"/> when it returned.</param>
/// <param name="EjectionCount">The ejection time multiplier: how many recent ejections count towards the back-off.</param>
/// <param name="EjectionTime">For an ejection, how long it lasts at least (base × multiplier, capped); zero when it returned.</param>
/// <param name="Timestamp">When it happened, from the detector's <see cref="TimeProvider"/>.</param>
public sealed record OutlierChange(RealServerState Destination, bool IsEjected, OutlierEjectionReason Reason, int EjectionCount, TimeSpan EjectionTime, DateTimeOffset Timestamp);
