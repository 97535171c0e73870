using System.Runtime.Versioning;
using LoadBalancing.Connections;
using LoadBalancing.Health.Outliers;

namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>Connects the Direct-Routing forwarder to passive health checking.</summary>
public static class DirectRoutingPassiveHealthExtensions
{
    /// <summary>
    /// Reports what the forwarder can see of each TCP handshake to <paramref name="reporter"/> (usually the
    /// <see cref="OutlierDetector"/>). The director sees only the client's packets, so it infers the real server's
    /// answer (<see cref="IHandshakeObserver"/>): the client's ACK after its SYN is a success; a retransmitted SYN
    /// is a <see cref="PassiveFailure.Timeout"/>; an entry that expires in SYN_RECV after a single SYN (what a
    /// refused connection looks like, 60 s later) is a <see cref="PassiveFailure.Other"/>. UDP gives no signal.
    /// <c>AddDirectRoutingForwarder</c> does this by itself when an <see cref="IPassiveHealthReporter"/> is
    /// registered (<c>AddOutlierDetection</c>).
    /// </summary>
    /// <param name="forwarder">The forwarder.</param>
    /// <param name="reporter">Where outcomes go.</param>
    /// <returns>Dispose it to stop reporting.</returns>
    /// <remarks>
    /// The observer is set on the forwarder's <see cref="DirectRoutingForwarder.Connections"/> table, which has one
    /// observer: a later call replaces an earlier one.
    /// </remarks>
    [SupportedOSPlatform("linux")]
    public static IDisposable ReportTo(this DirectRoutingForwarder forwarder, IPassiveHealthReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(forwarder);
        ArgumentNullException.ThrowIfNull(reporter);
        var bridge = new HandshakeHealthBridge(forwarder.Connections, reporter);
        forwarder.Connections.HandshakeObserver = bridge;
        return bridge;
    }
}
