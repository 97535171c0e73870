using LoadBalancing.Agent.Configuration;
using LoadBalancing.Agent.Systemd;

namespace LoadBalancing.Agent.Planning;

/// <summary>Start a mount unit (transient, or from a unit file).</summary>
internal sealed record MountChange(MountSpec Spec, MountPersistence Persistence, string? UnitFile, UnitStatus Current) : AgentChange
{
    public override int Order => 2;

    public override string ToString()
        => $"mount {Spec.What} on {Spec.Where} type {Spec.Type} ({Persistence.ToString().ToLowerInvariant()} unit {Spec.Unit}{(UnitFile is null ? "" : $" in {UnitFile}")}; now {Current.ActiveState})";
}
