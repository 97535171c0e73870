namespace LoadBalancing.Scheduling;

/// <summary>The names of the built-in schedulers, as ipvsadm's <c>-s</c> takes them.</summary>
public static class SchedulerNames
{
    /// <summary>Round robin (<c>ip_vs_rr.c</c>).</summary>
    public const string RoundRobin = "rr";

    /// <summary>Weighted round robin (<c>ip_vs_wrr.c</c>).</summary>
    public const string WeightedRoundRobin = "wrr";

    /// <summary>Least connection (<c>ip_vs_lc.c</c>).</summary>
    public const string LeastConnection = "lc";

    /// <summary>Weighted least connection, the default (<c>ip_vs_wlc.c</c>).</summary>
    public const string WeightedLeastConnection = "wlc";

    /// <summary>Shortest expected delay (<c>ip_vs_sed.c</c>).</summary>
    public const string ShortestExpectedDelay = "sed";

    /// <summary>Never queue (<c>ip_vs_nq.c</c>).</summary>
    public const string NeverQueue = "nq";

    /// <summary>Locality-based least connection (<c>ip_vs_lblc.c</c>).</summary>
    public const string LocalityBasedLeastConnection = "lblc";

    /// <summary>Locality-based least connection with replication (<c>ip_vs_lblcr.c</c>).</summary>
    public const string LocalityBasedLeastConnectionWithReplication = "lblcr";

    /// <summary>Destination hashing (<c>ip_vs_dh.c</c>).</summary>
    public const string DestinationHashing = "dh";

    /// <summary>Source hashing (<c>ip_vs_sh.c</c>).</summary>
    public const string SourceHashing = "sh";

    /// <summary>Maglev hashing (<c>ip_vs_mh.c</c>).</summary>
    public const string MaglevHashing = "mh";

    /// <summary>Weighted failover (<c>ip_vs_fo.c</c>).</summary>
    public const string WeightedFailover = "fo";

    /// <summary>Weighted overflow (<c>ip_vs_ovf.c</c>).</summary>
    public const string WeightedOverflow = "ovf";

    /// <summary>Power of two choices (<c>ip_vs_twos.c</c>).</summary>
    public const string PowerOfTwoChoices = "twos";
}
