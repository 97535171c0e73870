namespace LoadBalancing.Connections;

/// <summary>What one client segment says about a one-way TCP handshake (see <see cref="IHandshakeObserver"/>).</summary>
internal enum HandshakeSignal : byte
{
    /// <summary>Nothing to report.</summary>
    None,

    /// <summary>The client acknowledged: the real server answered.</summary>
    Answered,

    /// <summary>The client sent its SYN again.</summary>
    Retransmitted,
}
