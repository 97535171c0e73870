namespace LoadBalancing.Health.Bench;

/// <summary>Counts probe calls and failures around the real probe.</summary>
internal sealed class CountingProbe(IHealthProbe inner) : IHealthProbe
{
    private long _calls;
    private long _failures;
    private long _started;

    public string Name => inner.Name;

    public long Calls => Interlocked.Read(ref _calls);

    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Gets the probes started and not finished yet.</summary>
    public long InFlight => Interlocked.Read(ref _started) - Interlocked.Read(ref _calls);

    public async ValueTask<ProbeResult> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _started);
        var result = await inner.ProbeAsync(target, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _calls);
        if (!result.IsUp)
        {
            if (Interlocked.Increment(ref _failures) <= 5)
            {
                Console.Error.WriteLine($"probe failed: {result.Reason}");
            }
        }

        return result;
    }
}
