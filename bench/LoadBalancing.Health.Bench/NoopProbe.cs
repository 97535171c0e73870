namespace LoadBalancing.Health.Bench;

/// <summary>Answers up at once: measures the checker without the probe's I/O.</summary>
internal sealed class NoopProbe : IHealthProbe
{
    public string Name => "noop";

    public ValueTask<ProbeResult> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken) => ValueTask.FromResult(ProbeResult.Up());
}
