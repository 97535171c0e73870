using System.Globalization;

namespace LoadBalancing.Consul.Internal;

/// <summary>
/// Go <c>time.Duration</c> strings, the format Consul uses for every duration it accepts
/// (<c>"10s"</c>, <c>"90m"</c>, <c>"1h30m"</c>, <c>"500ms"</c>).
/// </summary>
internal static class GoDuration
{
    private const long NanosecondsPerTick = 100;

    // Largest unit first: Format picks the first one that divides the value exactly, so 90 minutes is
    // "90m" (as in the documented registration sample), one hour "1h" and 1.5 s "1500ms".
    private static readonly (string Unit, long Nanoseconds)[] Units =
    [
        ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000),
        ("ms", 1_000_000), ("us", 1_000), ("ns", 1),
    ];

    /// <summary>Formats <paramref name="value"/> with a single unit that represents it exactly.</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }

        // TimeSpan ticks are 100 ns, so a tick count times 100 can exceed long; Int128 cannot overflow.
        Int128 ns = (Int128)value.Ticks * NanosecondsPerTick;
        var sign = ns < 0 ? "-" : "";
        if (ns < 0)
        {
            ns = -ns;
        }

        foreach (var (unit, unitNs) in Units)
        {
            if (ns % unitNs == 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{sign}{ns / unitNs}{unit}");
            }
        }

        throw new InvalidOperationException("unreachable: every value is a whole number of nanoseconds");
    }

    /// <summary>
    /// Parses a Go duration: an optional sign, then one or more <c>number unit</c> pairs where the number may
    /// have a fraction and the unit is one of ns, us, µs, μs, ms, s, m, h; the bare string <c>"0"</c> is also
    /// valid. Anything else (empty, a bare number, days) is rejected, as Go's <c>time.ParseDuration</c> does.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out TimeSpan value)
    {
        value = default;
        var negative = false;
        if (!text.IsEmpty && (text[0] == '-' || text[0] == '+'))
        {
            negative = text[0] == '-';
            text = text[1..];
        }

        if (text.SequenceEqual("0"))
        {
            return true;
        }

        if (text.IsEmpty)
        {
            return false;
        }

        decimal totalNs = 0;
        while (!text.IsEmpty)
        {
            var numberLength = 0;
            var sawDigit = false;
            var sawDot = false;
            while (numberLength < text.Length && (char.IsAsciiDigit(text[numberLength]) || (text[numberLength] == '.' && !sawDot)))
            {
                sawDigit |= text[numberLength] != '.';
                sawDot |= text[numberLength] == '.';
                numberLength++;
            }

            if (!sawDigit)
            {
                return false;
            }

            var unitLength = 0;
            while (numberLength + unitLength < text.Length && !char.IsAsciiDigit(text[numberLength + unitLength]) && text[numberLength + unitLength] != '.')
            {
                unitLength++;
            }

            var unitNs = UnitNanoseconds(text.Slice(numberLength, unitLength));
            if (unitNs == 0 || !decimal.TryParse(text[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            totalNs += number * unitNs;
            text = text[(numberLength + unitLength)..];
        }

        var ticks = decimal.Truncate(totalNs / NanosecondsPerTick);
        if (ticks > TimeSpan.MaxValue.Ticks)
        {
            return false;
        }

        value = TimeSpan.FromTicks((long)(negative ? -ticks : ticks));
        return true;
    }

    private static long UnitNanoseconds(ReadOnlySpan<char> unit) => unit switch
    {
        "ns" => 1,
        "us" or "µs" or "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => 0,
    };
}
