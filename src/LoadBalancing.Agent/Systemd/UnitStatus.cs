namespace LoadBalancing.Agent.Systemd;

/// <summary>A unit's state as systemd reports it; <see cref="MountStatus"/> is the exit status of the last mount(8) run, when known.</summary>
internal sealed record UnitStatus(string LoadState, string ActiveState, string SubState, string Result, int? MountStatus)
{
    public static readonly UnitStatus NotLoaded = new("not-found", "inactive", "dead", "", null);

    public bool IsActive => ActiveState == "active";

    public bool IsFailed => ActiveState == "failed";
}
