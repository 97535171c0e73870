using System.Collections.Immutable;

namespace LoadBalancing.Health.Probes;

/// <summary>Options of the exec probe (keepalived <c>MISC_CHECK</c>).</summary>
public sealed record ExecProbeOptions
{
    /// <summary>Gets the program to run (<c>misc_path</c>, program part); resolved through PATH when not rooted.</summary>
    public required string FileName { get; init; }

    /// <summary>
    /// Gets the arguments, passed as an argument list and never through a shell. <c>{address}</c> and
    /// <c>{port}</c> in an argument are replaced by the target's address and port.
    /// </summary>
    public ImmutableArray<string> Arguments { get; init; } = [];

    /// <summary>Gets how long the program may run (<c>misc_timeout</c>); its whole process tree is killed after that. 5 s by default.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets a value indicating whether exit codes 2..255 set the weight to code − 2 (<c>misc_dynamic</c>).
    /// Without it every non-zero exit code is a failure.
    /// </summary>
    public bool Dynamic { get; init; }
}
