namespace LoadBalancing.Health.Tests.Fakes;

/// <summary>A probe that answers synchronously from a function of the call number, and counts calls with their times.</summary>
internal sealed class ScriptedProbe(Func<int, ProbeResult> next, TimeProvider? time = null) : IHealthProbe
{
    private int _calls;

    public string Name => "scripted";

    public List<DateTimeOffset> CallTimes { get; } = [];

    public int Calls => Volatile.Read(ref _calls);

    public static ScriptedProbe Always(bool up) => new(_ => up ? ProbeResult.Up() : ProbeResult.Down("scripted down"));

    public ValueTask<ProbeResult> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        var n = Interlocked.Increment(ref _calls) - 1;
        if (time is not null)
        {
            lock (CallTimes)
            {
                CallTimes.Add(time.GetUtcNow());
            }
        }

        return ValueTask.FromResult(next(n));
    }
}
