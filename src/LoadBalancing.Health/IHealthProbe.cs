namespace LoadBalancing.Health;

/// <summary>
/// Checks whether one real server is healthy. Implement this to add a custom probe; the built-in ones are
/// created by <see cref="Probes.HealthProbes"/>.
/// </summary>
/// <remarks>
/// A probe reports failures as <see cref="ProbeResult.Down"/> values, not exceptions. It must honour
/// the cancellation token of <see cref="ProbeAsync"/>: the checker cancels it when the connect
/// timeout elapses and counts the attempt as failed. Probes are called concurrently for different targets.
/// </remarks>
public interface IHealthProbe
{
    /// <summary>Gets a short name for logs and metrics, e.g. <c>"tcp"</c> or <c>"http"</c>.</summary>
    string Name { get; }

    /// <summary>Probes <paramref name="target"/> once.</summary>
    /// <param name="target">The real server to probe.</param>
    /// <param name="cancellationToken">Cancelled on timeout or shutdown.</param>
    /// <returns>The outcome; never throws for a failed check.</returns>
    ValueTask<ProbeResult> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken);
}
