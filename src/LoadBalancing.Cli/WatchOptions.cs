using System.Globalization;

namespace LoadBalancing.Cli;

/// <summary><c>--watch</c> with its <c>--interval SECONDS</c> and <c>--count N</c>.</summary>
internal sealed record WatchOptions
{
    /// <summary>The refresh interval when <c>--interval</c> is not given.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(1);

    public bool Enabled { get; init; }

    public TimeSpan Interval { get; init; } = DefaultInterval;

    /// <summary>Gets how many listings to print before exiting; <see langword="null"/> runs until Ctrl-C.</summary>
    public int? Count { get; init; }

    public bool IntervalGiven { get; init; }

    public static bool TryParseInterval(string text, out TimeSpan interval)
    {
        interval = default;

        // 0.1 s .. 1 day: faster only burns CPU, slower is a typo.
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            || seconds < 0.1 || seconds > 86400)
        {
            return false;
        }

        interval = TimeSpan.FromSeconds(seconds);
        return true;
    }

    public static bool TryParseCount(string text, out int count)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out count) && count >= 1;
}
