using LoadBalancing.Forwarding.Proxy.Internal;
using LoadBalancing.Health.Outliers;

namespace LoadBalancing.Forwarding.Proxy;

/// <summary>Connects the userspace proxy to passive health checking.</summary>
public static class ProxyForwarderPassiveHealthExtensions
{
    /// <summary>
    /// Reports every connect outcome of <paramref name="forwarder"/> to <paramref name="reporter"/> (usually the
    /// <see cref="OutlierDetector"/>): <see cref="ProxyForwarder.ConnectSucceeded"/> as a success, each failed attempt of
    /// <see cref="ProxyForwarder.ConnectFailed"/> (refused, unreachable, the proxy's connect timeout, a UDP server's ICMP
    /// port unreachable) as a failure classified by <see cref="PassiveFailures.FromSocketError"/>. <c>AddProxyForwarder</c>
    /// does this by itself when an <see cref="IPassiveHealthReporter"/> is registered (<c>AddOutlierDetection</c>).
    /// </summary>
    /// <param name="forwarder">The proxy.</param>
    /// <param name="reporter">Where outcomes go.</param>
    /// <returns>Dispose it to stop reporting.</returns>
    public static IDisposable ReportTo(this ProxyForwarder forwarder, IPassiveHealthReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(forwarder);
        ArgumentNullException.ThrowIfNull(reporter);
        return new PassiveHealthBridge(forwarder, reporter);
    }
}
