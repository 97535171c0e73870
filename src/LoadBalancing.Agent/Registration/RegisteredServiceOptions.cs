namespace LoadBalancing.Agent.Registration;

/// <summary>One service instance: this real server behind one virtual service.</summary>
public sealed class RegisteredServiceOptions
{
    /// <summary>Gets or sets the registry service name, e.g. <c>web</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>Gets or sets the virtual service: <c>tcp|udp|sctp:VIP:PORT</c> (IPv6 in brackets) or <c>fwm:MARK</c>; registered as tag <c>lb.vs=…</c>.</summary>
    public string VirtualService { get; set; } = "";

    /// <summary>Gets or sets the real server's own address the director forwards to.</summary>
    public string Address { get; set; } = "";

    /// <summary>Gets or sets the real server's port; 0 means the virtual service's port.</summary>
    public int Port { get; set; }

    /// <summary>Gets or sets the forwarding method: <c>route</c> (default), <c>tunnel</c> or <c>masq</c>.</summary>
    public string Forward { get; set; } = "route";

    /// <summary>Gets or sets the weight while healthy; 1 by default.</summary>
    public int Weight { get; set; } = 1;

    /// <summary>Gets or sets the weight while warning; 1 by default.</summary>
    public int WarningWeight { get; set; } = 1;

    /// <summary>Gets or sets the virtual service's scheduler (meta <c>lb-scheduler</c>); optional.</summary>
    public string? Scheduler { get; set; }

    /// <summary>
    /// Gets or sets the name of an <c>Agent:HealthEndpoints</c> entry. With Consul it becomes a check Consul runs
    /// (HTTP, TCP or gRPC); with the embedded registry the agent probes it and heartbeats the result. Without one, a
    /// TTL check the agent heartbeats as passing while it runs.
    /// </summary>
    public string? HealthEndpoint { get; set; }
}
