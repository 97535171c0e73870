namespace LoadBalancing.Rules;

/// <summary>Listing options of <c>-L</c> and <c>-S</c>.</summary>
[Flags]
public enum ListOptions
{
    /// <summary>Default listing with names.</summary>
    None = 0,

    /// <summary><c>-n</c>: numeric addresses and ports.</summary>
    Numeric = 1 << 0,

    /// <summary><c>--stats</c>.</summary>
    Stats = 1 << 1,

    /// <summary><c>--rate</c>.</summary>
    Rate = 1 << 2,

    /// <summary><c>--thresholds</c>.</summary>
    Thresholds = 1 << 3,

    /// <summary><c>--persistent-conn</c>.</summary>
    PersistentConnections = 1 << 4,

    /// <summary><c>--tun-info</c>.</summary>
    TunnelInfo = 1 << 5,

    /// <summary><c>--exact</c>: counters without K/M/G/T scaling.</summary>
    Exact = 1 << 6,

    /// <summary><c>--nosort</c>: kernel order.</summary>
    NoSort = 1 << 7,

    /// <summary><c>-c</c>: the connection table.</summary>
    Connections = 1 << 8,

    /// <summary><c>--timeout</c>: the three timeouts.</summary>
    Timeouts = 1 << 9,

    /// <summary><c>--daemon</c>: the sync daemons.</summary>
    Daemons = 1 << 10,
}
