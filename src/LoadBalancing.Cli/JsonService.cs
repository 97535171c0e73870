namespace LoadBalancing.Cli;

/// <summary>One service of <c>-L --json</c>.</summary>
internal sealed record JsonService(
    string Protocol,
    string? Address,
    int? Port,
    uint? FirewallMark,
    string Family,
    string Scheduler,
    IReadOnlyList<string> Flags,
    int? Persistent,
    int? Netmask,
    string? PersistenceEngine,
    bool OnePacket,
    JsonCounters Stats,
    JsonCounters Rate,
    IReadOnlyList<JsonServer> Servers);
