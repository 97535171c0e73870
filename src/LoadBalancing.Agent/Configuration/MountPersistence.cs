namespace LoadBalancing.Agent.Configuration;

/// <summary>How long a shared mount's systemd unit lives.</summary>
public enum MountPersistence
{
    /// <summary>A transient unit (<c>StartTransientUnit</c>): gone when stopped or at reboot.</summary>
    Transient = 0,

    /// <summary>A unit file in <c>/run/systemd/system</c>, enabled at runtime: survives a daemon reload, not a reboot.</summary>
    Runtime = 1,

    /// <summary>A unit file in <c>/etc/systemd/system</c>, enabled: mounted again at every boot.</summary>
    Persistent = 2,
}
