namespace LoadBalancing.Agent.Configuration;

/// <summary>A health endpoint this server advertises (to the director, or a registry such as Consul).</summary>
public sealed class HealthEndpointOptions
{
    /// <summary>Gets or sets a short name, e.g. <c>web</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>Gets or sets the protocol: <c>tcp</c>, <c>http</c>, <c>https</c> or <c>grpc</c>.</summary>
    public string Protocol { get; set; } = "tcp";

    /// <summary>Gets or sets the port, 1..65535.</summary>
    public int Port { get; set; }

    /// <summary>Gets or sets the HTTP path (http/https) or gRPC service name; optional.</summary>
    public string? Path { get; set; }
}
