using System.Collections.Immutable;

namespace LoadBalancing.Model;

/// <summary>
/// A complete, immutable configuration snapshot: every virtual service with its real servers, and the
/// connection timeouts. Validated as a whole (<see cref="Validate"/>) before it replaces the running one.
/// </summary>
public sealed record LoadBalancerConfig
{
    /// <summary>An empty configuration (what <c>ipvsadm -C</c> leaves).</summary>
    public static LoadBalancerConfig Empty { get; } = new();

    /// <summary>Gets the virtual services, in the order they were added.</summary>
    public ImmutableArray<VirtualServiceConfig> Services { get; init; } = [];

    /// <summary>Gets the connection timeouts.</summary>
    public TimeoutConfig Timeouts { get; init; } = TimeoutConfig.Default;

    /// <summary>Checks the whole snapshot and returns every problem found; empty when valid.</summary>
    /// <param name="knownSchedulers">Scheduler names that exist, or <see langword="null"/> to skip that check.</param>
    /// <returns>The problems, each naming the offending field.</returns>
    public IReadOnlyList<ConfigError> Validate(IReadOnlySet<string>? knownSchedulers = null)
        => ConfigValidator.Validate(this, knownSchedulers);

    /// <summary>Throws <see cref="ConfigValidationException"/> listing every problem if the snapshot is invalid.</summary>
    /// <param name="knownSchedulers">Scheduler names that exist, or <see langword="null"/> to skip that check.</param>
    /// <exception cref="ConfigValidationException">The snapshot is invalid.</exception>
    public void EnsureValid(IReadOnlySet<string>? knownSchedulers = null)
    {
        var errors = Validate(knownSchedulers);
        if (errors.Count > 0)
        {
            throw new ConfigValidationException(errors);
        }
    }
}
