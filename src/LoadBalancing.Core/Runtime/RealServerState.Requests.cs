namespace LoadBalancing.Runtime;

/// <content>Load counted by callers outside the connection table (client-side balancers).</content>
public sealed partial class RealServerState
{
    /// <summary>
    /// Counts one more active connection (or in-flight request) that a caller outside the connection table sent to
    /// this server, e.g. a client-side balancer, so that lc, wlc, sed and nq see it; pair every call with
    /// <see cref="ReleaseActive"/>. As for a bound connection, reaching the upper threshold sets OVERLOAD.
    /// </summary>
    public void AcquireActive() => Bind(ConnectionCountKind.Active);

    /// <summary>Ends what <see cref="AcquireActive"/> counted; OVERLOAD clears by IPVS's lower-threshold rule.</summary>
    public void ReleaseActive() => Unbind(ConnectionCountKind.Active);
}
