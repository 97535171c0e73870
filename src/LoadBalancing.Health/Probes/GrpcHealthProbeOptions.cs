namespace LoadBalancing.Health.Probes;

/// <summary>Options of the gRPC health probe (<c>grpc.health.v1.Health/Check</c>).</summary>
public sealed record GrpcHealthProbeOptions
{
    /// <summary>Gets the service name asked about; empty (the default) asks about the server as a whole.</summary>
    public string Service { get; init; } = string.Empty;

    /// <summary>Gets the port to call instead of the target's; 0 uses the target's port.</summary>
    public ushort Port { get; init; }

    /// <summary>Gets a value indicating whether to use TLS; otherwise HTTP/2 without TLS (h2c).</summary>
    public bool UseTls { get; init; }

    /// <summary>Gets a value indicating whether the server certificate is verified (TLS only); off by default.</summary>
    public bool VerifyCertificate { get; init; }

    /// <summary>Gets the connect timeout; 5 s by default.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets the deadline of the call; 5 s by default.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
}
