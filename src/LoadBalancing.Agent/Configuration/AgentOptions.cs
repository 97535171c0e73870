namespace LoadBalancing.Agent.Configuration;

/// <summary>The declarative configuration of the real-server agent (configuration section <c>Agent</c>).</summary>
public sealed class AgentOptions
{
    /// <summary>The configuration section the options bind to.</summary>
    public const string SectionName = "Agent";

    /// <summary>Gets the VIPs this server serves.</summary>
    public IList<VipOptions> Vips { get; } = [];

    /// <summary>
    /// Gets the interfaces facing the director whose <c>arp_ignore</c>/<c>arp_announce</c> are set besides <c>all</c> and
    /// <c>lo</c>; when empty, every interface present except <c>lo</c>.
    /// </summary>
    public IList<string> ArpInterfaces { get; } = [];

    /// <summary>Gets the shared mounts.</summary>
    public IList<SharedMountOptions> Mounts { get; } = [];

    /// <summary>Gets the health endpoints to advertise.</summary>
    public IList<HealthEndpointOptions> HealthEndpoints { get; } = [];

    /// <summary>Gets where and what the agent registers (Consul, or the director's embedded registry).</summary>
    public Registration.RegistrationOptions Registration { get; } = new();

    /// <summary>Gets or sets the loopback interface the VIPs go on; <c>lo</c> by default.</summary>
    public string LoopbackInterface { get; set; } = "lo";

    /// <summary>Gets or sets where the agent records what it changed (previous sysctl values, added addresses, units).</summary>
    public string StateFile { get; set; } = "/var/lib/lbagent/state.json";

    /// <summary>Gets or sets the D-Bus address of systemd's system bus.</summary>
    public string SystemdBus { get; set; } = "unix:path=/run/dbus/system_bus_socket";

    /// <summary>
    /// Gets or sets the root under which unit files are written; <c>/</c> by default (another value, e.g. a container's
    /// <c>/proc/PID/root</c>, reaches a systemd whose root is elsewhere).
    /// </summary>
    public string UnitRoot { get; set; } = "/";

    /// <summary>Gets or sets how long systemd may take to mount; 30 s by default.</summary>
    public TimeSpan MountTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how often <c>run</c> checks for drift; 5 s by default.</summary>
    public TimeSpan DriftInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets a value indicating whether <c>run</c> reverts everything when it stops; true by default.</summary>
    public bool RevertOnStop { get; set; } = true;
}
