using LoadBalancing.Health.Probes;
using LoadBalancing.Runtime;

namespace LoadBalancing.Health;

/// <summary>Options of the health checking registered by <c>AddHealthChecks</c>; validated when the host starts.</summary>
public sealed class HealthCheckOptions
{
    /// <summary>Gets or sets the most probes in flight at once; <see cref="HealthChecker.DefaultMaxConcurrency"/> by default.</summary>
    public int MaxConcurrency { get; set; } = HealthChecker.DefaultMaxConcurrency;

    /// <summary>Gets or sets the policy of every real server that <see cref="PolicyFactory"/> does not decide.</summary>
    public HealthCheckPolicy DefaultPolicy { get; set; } = new();

    /// <summary>Gets or sets the policy of a real server; <see cref="DefaultPolicy"/> when <see langword="null"/>.</summary>
    public Func<RealServerState, HealthCheckPolicy>? PolicyFactory { get; set; }

    /// <summary>
    /// Gets or sets the probe of a real server (return <see langword="null"/> to leave it unchecked); a TCP
    /// connect to the real server's port when <see langword="null"/>.
    /// </summary>
    public Func<RealServerState, IHealthProbe?>? ProbeFactory { get; set; }

    /// <summary>Gets or sets the quorum of every virtual service that <see cref="QuorumFactory"/> does not decide; keepalived's default (quorum 1, no hysteresis, no sorry server).</summary>
    public QuorumPolicy DefaultQuorum { get; set; } = new();

    /// <summary>Gets or sets the quorum (and sorry server) of a virtual service; <see cref="DefaultQuorum"/> when it is or returns <see langword="null"/>.</summary>
    public Func<VirtualServiceState, QuorumPolicy?>? QuorumFactory { get; set; }

    internal QuorumPolicy GetQuorum(VirtualServiceState service) => QuorumFactory?.Invoke(service) ?? DefaultQuorum;

    internal IHealthProbe? CreateProbe(RealServerState destination, TimeProvider timeProvider)
        => ProbeFactory is { } factory ? factory(destination) : HealthProbes.Tcp(new TcpProbeOptions { ConnectTimeout = DefaultPolicy.ConnectTimeout }, timeProvider);

    internal HealthCheckPolicy GetPolicy(RealServerState destination) => PolicyFactory?.Invoke(destination) ?? DefaultPolicy;
}
