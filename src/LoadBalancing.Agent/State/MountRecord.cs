using LoadBalancing.Agent.Configuration;

namespace LoadBalancing.Agent.State;

/// <summary>
/// A mount unit the agent created; <see cref="UnitFile"/> is set for runtime and persistent units, relative to the
/// configured unit root (so a root such as /proc/PID/root may change between apply and revert).
/// </summary>
internal sealed record MountRecord(string Unit, MountPersistence Persistence, string? UnitFile);
