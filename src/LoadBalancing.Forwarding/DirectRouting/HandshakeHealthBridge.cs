using LoadBalancing.Connections;
using LoadBalancing.Health.Outliers;
using LoadBalancing.Runtime;

namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>
/// Turns the one-way handshake outcomes the connection table infers into passive health reports: an answered
/// handshake is a success, a retransmitted SYN or an entry that expired unanswered a failure.
/// </summary>
internal sealed class HandshakeHealthBridge(ConnectionTable connections, IPassiveHealthReporter reporter) : IHandshakeObserver, IDisposable
{
    public void Answered(RealServerState destination) => reporter.ReportSuccess(destination);

    public void Retransmitted(RealServerState destination) => reporter.ReportFailure(destination, PassiveFailure.Timeout);

    // Refused or never answered: the director cannot tell which, since the reset goes straight to the client.
    public void Unanswered(RealServerState destination) => reporter.ReportFailure(destination, PassiveFailure.Other);

    public void Dispose()
    {
        // Only unhook ourselves; someone else may have replaced us since.
        if (ReferenceEquals(connections.HandshakeObserver, this))
        {
            connections.HandshakeObserver = null;
        }
    }
}
