using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Consul.Tests.Fakes;

/// <summary>
/// A fake clock that counts the one-shot timers made on it (each <c>Task.Delay</c> on it makes one; periodic timers,
/// such as <see cref="FakeConsulAgent"/>'s ticker, are not counted). A test that advances the clock for a background
/// loop's next delay waits until that delay exists first: advanced before, the clock would put it a whole interval later.
/// </summary>
internal sealed class DelayCountingTimeProvider : FakeTimeProvider
{
    private int _delays;

    /// <summary>Gets the number of one-shot timers made so far.</summary>
    public int Delays => Volatile.Read(ref _delays);

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (period == Timeout.InfiniteTimeSpan)
        {
            Interlocked.Increment(ref _delays);
        }

        return timer;
    }
}
