using LoadBalancing.Agent.Configuration;

namespace LoadBalancing.Agent.State;

/// <summary>A mount unit the agent created; <see cref="UnitFile"/> is set for runtime and persistent units.</summary>
internal sealed record MountRecord(string Unit, MountPersistence Persistence, string? UnitFile);
