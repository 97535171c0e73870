namespace LoadBalancing.Agent.Registration;

/// <summary>
/// Where and what <c>lbagent run</c> registers (section <c>Agent:Registration</c>). With <see cref="Consul"/> (or the
/// <c>CONSUL_HTTP_ADDR</c> environment variable) the services go to the local Consul agent; otherwise, with
/// <see cref="Director"/>, to the director's embedded registry. No services: no registration.
/// </summary>
public sealed class RegistrationOptions
{
    /// <summary>Gets or sets the Consul agent address (<c>127.0.0.1:8500</c>, <c>https://…</c>); <see langword="null"/>: <c>CONSUL_HTTP_ADDR</c> if set.</summary>
    public string? Consul { get; set; }

    /// <summary>Gets or sets the director's control API (<c>unix:/run/lbadm/director.sock</c> or <c>https://director:50051</c>) for the embedded registry.</summary>
    public string? Director { get; set; }

    /// <summary>Gets or sets the director's bearer token (TCP only); <c>LBAGENT_DIRECTOR_TOKEN</c> works too.</summary>
    public string? DirectorToken { get; set; }

    /// <summary>Gets the service instances this real server registers, one per VIP/port it serves.</summary>
    public IList<RegisteredServiceOptions> Services { get; } = [];

    /// <summary>Gets or sets the TTL of TTL checks; heartbeats go every third of it. 15 s by default.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Gets or sets how long an instance may be critical before the registry removes it (Consul's minimum is 1 minute). 2 minutes by default.</summary>
    public TimeSpan DeregisterCriticalAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Gets or sets the interval of the checks Consul runs (HTTP/TCP/gRPC); 10 s by default.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets a value indicating whether anything is to be registered.</summary>
    public bool IsEnabled => Services.Count > 0;

    /// <summary>Gets the Consul address in effect: <see cref="Consul"/>, else <c>CONSUL_HTTP_ADDR</c>, else <see langword="null"/>.</summary>
    /// <param name="environment">Reads an environment variable.</param>
    /// <returns>The address, or <see langword="null"/> for the embedded registry.</returns>
    public string? EffectiveConsul(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return !string.IsNullOrWhiteSpace(Consul) ? Consul : environment("CONSUL_HTTP_ADDR") is { Length: > 0 } env ? env : null;
    }
}
