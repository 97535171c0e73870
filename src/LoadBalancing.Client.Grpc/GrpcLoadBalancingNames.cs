namespace LoadBalancing.Client.Grpc;

/// <summary>The names a channel uses to reach the client-side balancing of this package.</summary>
public static class GrpcLoadBalancingNames
{
    /// <summary>
    /// The address scheme of the resolver: <c>lb://10.0.0.1:50051</c> names the TCP virtual service 10.0.0.1:50051 of the
    /// service table (IPv6 in brackets); its real servers are the channel's addresses.
    /// </summary>
    public const string Scheme = "lb";

    /// <summary>
    /// The load-balancing policy (<c>new LoadBalancingConfig("lvs")</c>): each call goes to the real server the virtual
    /// service's own scheduler (rr, wrr, lc, wlc, sh, mh …) picks, with the table's current weights.
    /// </summary>
    public const string Policy = "lvs";
}
