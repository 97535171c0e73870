using LoadBalancing.Runtime;

namespace LoadBalancing.Connections;

/// <summary>
/// Told how the TCP handshakes of one-way entries end: Direct Routing and tunnelling, where the director sees only
/// the client's half of a connection (IPVS's INPUT-ONLY state table) and must infer from the client's segments
/// whether the real server answered. This is the Direct-Routing forwarder's passive health signal.
/// </summary>
/// <remarks>
/// Set through <see cref="ConnectionTable.HandshakeObserver"/>. Calls come from packet workers and the expiry
/// timer, outside the entry's lock, at most once per handshake each; implementations must be cheap and must not throw.
/// </remarks>
public interface IHandshakeObserver
{
    /// <summary>
    /// The client acknowledged after its SYN (SYN_RECV → ESTABLISHED): the real server answered with a SYN-ACK.
    /// </summary>
    /// <param name="destination">The real server.</param>
    void Answered(RealServerState destination);

    /// <summary>
    /// The client sent its SYN again while the entry was in SYN_RECV: no SYN-ACK reached it within its
    /// retransmission timeout (1 s on Linux clients). Reported on the first retransmission of a handshake only.
    /// </summary>
    /// <param name="destination">The real server.</param>
    void Retransmitted(RealServerState destination);

    /// <summary>
    /// The entry expired in SYN_RECV after a single SYN: the client never acknowledged and never retried, which is
    /// what a refused connection (a reset sent by the real server straight to the client) looks like from here.
    /// Comes when the SYN_RECV timeout (60 s) runs out, so it is a late signal.
    /// </summary>
    /// <param name="destination">The real server.</param>
    void Unanswered(RealServerState destination);
}
