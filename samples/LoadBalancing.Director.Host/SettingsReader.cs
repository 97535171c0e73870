using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace LoadBalancing.Director.Host;

/// <summary>Reads one configuration section, collecting problems with the full setting name.</summary>
internal sealed class SettingsReader(IConfigurationSection section, List<string>? problems = null)
{
    public List<string> Problems { get; } = problems ?? [];

    public SettingsReader Child(string key) => new(section.GetSection(key), Problems);

    public IEnumerable<SettingsReader> Children(string key) => section.GetSection(key).GetChildren().Select(c => new SettingsReader(c, Problems));

    public string? String(string key) => section[key] is { Length: > 0 } value ? value.Trim() : null;

    public int Int(string key, int fallback)
    {
        if (String(key) is not { } text)
        {
            return fallback;
        }

        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        Problem(key, $"'{text}' must be a whole number");
        return fallback;
    }

    /// <summary>Reads a whole number that must lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int Int(string key, int fallback, int min, int max)
    {
        if (String(key) is not { } text)
        {
            return fallback;
        }

        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        Problem(key, $"'{text}' must be a number from {min} to {max}");
        return fallback;
    }

    public bool Bool(string key, bool fallback)
    {
        if (String(key) is not { } text)
        {
            return fallback;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        Problem(key, $"'{text}' must be true or false");
        return fallback;
    }

    public TimeSpan Time(string key, TimeSpan fallback)
    {
        if (String(key) is not { } text)
        {
            return fallback;
        }

        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && seconds <= TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value >= TimeSpan.Zero)
        {
            return value;
        }

        Problem(key, $"'{text}' must be a number of seconds (e.g. 2.5) or a time span (e.g. 00:00:05)");
        return fallback;
    }

    public void Problem(string key, string message) => Problems.Add($"{section.Path}:{key} {message}.");

    /// <summary>Gets the full path of <paramref name="key"/> in this section (for messages about a valid setting).</summary>
    public string PathOf(string key) => $"{section.Path}:{key}";

    /// <summary>Adds a policy's own validation messages, which start with the property name.</summary>
    public void Report(IEnumerable<string> messages)
    {
        foreach (var message in messages)
        {
            Problems.Add($"{section.Path}:{message}");
        }
    }
}
