namespace LoadBalancing.Cli;

/// <summary>One real server of <c>-L --json</c>.</summary>
internal sealed record JsonServer(
    string Address,
    int Port,
    string Forward,
    int Weight,
    long ActiveConn,
    long InActConn,
    long PersistConn,
    uint UpperThreshold,
    uint LowerThreshold,
    string? Tunnel,
    JsonCounters Stats,
    JsonCounters Rate);
