using System.Globalization;
using System.Text.RegularExpressions;

namespace LoadBalancing.Director.Host.Tests.Fixtures;

/// <summary>Parses Prometheus text exposition lines (<c>name{label="value",…} 42</c>).</summary>
internal static partial class PrometheusText
{
    public static List<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"not a Prometheus sample line: '{line}'");
            var labels = LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value, StringComparer.Ordinal);
            samples.Add(new Sample(m.Groups["name"].Value, labels, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }

        return samples;
    }

    /// <summary>Finds the one sample with this name whose labels include every given pair.</summary>
    public static double? Find(List<Sample> samples, string name, params (string Label, string Value)[] labels)
    {
        var matches = samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Label) == l.Value)).ToList();
        Assert.True(matches.Count <= 1, $"{matches.Count} samples of {name} match");
        return matches.Count == 0 ? null : matches[0].Value;
    }

    /// <summary>The samples whose name starts with <paramref name="prefix"/>, one per line, for assertion messages.</summary>
    public static string Dump(List<Sample> samples, string prefix)
        => string.Join('\n', samples.Where(s => s.Name.StartsWith(prefix, StringComparison.Ordinal))
            .Select(s => $"{s.Name}{{{string.Join(',', s.Labels.Select(l => $"{l.Key}={l.Value}"))}}} {s.Value}"));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( \d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();

    internal sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);
}
