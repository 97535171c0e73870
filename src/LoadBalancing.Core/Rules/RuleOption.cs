namespace LoadBalancing.Rules;

/// <summary>
/// ipvsadm's options in its <c>optnames</c> order: the legality check walks them in this order, so the first
/// offending option it reports is the same as ipvsadm's.
/// </summary>
internal enum RuleOption
{
    Numeric,
    Connection,
    ServiceAddress,
    Scheduler,
    Persistent,
    Netmask,
    RealServer,
    ForwardingMethod,
    Weight,
    UpperThreshold,
    LowerThreshold,
    McastInterface,
    Timeout,
    Daemon,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    NoSort,
    SyncId,
    Exact,
    Ops,
    PersistenceEngine,
    SchedFlags,
    McastGroup,
    McastPort,
    McastTtl,
    SyncMaxLen,
    TunInfo,
    TunType,
    TunPort,
    TunNoCsum,
    TunCsum,
    TunRemCsum,
}
