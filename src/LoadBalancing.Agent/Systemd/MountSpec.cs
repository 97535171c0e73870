namespace LoadBalancing.Agent.Systemd;

/// <summary>A mount unit to create: systemd's What/Where/Type/Options, the unit's name, and whether it needs the network.</summary>
internal sealed record MountSpec(string Unit, string What, string Where, string Type, string Options, bool IsNetwork, TimeSpan Timeout, string Description);
