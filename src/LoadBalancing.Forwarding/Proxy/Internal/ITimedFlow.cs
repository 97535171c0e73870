namespace LoadBalancing.Forwarding.Proxy.Internal;

/// <summary>A TCP connection or UDP session whose timeouts the forwarder's sweeper checks.</summary>
internal interface ITimedFlow
{
    /// <summary>Enforces the flow's connect and idle timeouts at <paramref name="now"/> (a <see cref="TimeProvider"/> timestamp).</summary>
    void CheckTimeouts(long now);

    /// <summary>Ends the flow at once (forwarder stopping).</summary>
    void Abort();
}
