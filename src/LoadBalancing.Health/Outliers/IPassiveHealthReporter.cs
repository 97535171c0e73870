using LoadBalancing.Runtime;

namespace LoadBalancing.Health.Outliers;

/// <summary>
/// Passive health: what forwarders and client-side balancers call after each connection (or request) to a real
/// server, so that servers that keep failing are ejected (<see cref="OutlierDetector"/>).
/// </summary>
/// <remarks>Calls are cheap (a few interlocked increments), never throw for a known server and may come from any thread.</remarks>
public interface IPassiveHealthReporter
{
    /// <summary>Reports a successful connection (or call) to a real server.</summary>
    /// <param name="destination">The real server.</param>
    void ReportSuccess(RealServerState destination);

    /// <summary>Reports a failed connection (or call) to a real server.</summary>
    /// <param name="destination">The real server.</param>
    /// <param name="failure">What went wrong.</param>
    void ReportFailure(RealServerState destination, PassiveFailure failure);
}
