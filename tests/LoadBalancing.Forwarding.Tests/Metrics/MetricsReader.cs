using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace LoadBalancing.Forwarding.Tests.Metrics;

/// <summary>Reads one observable instrument of the <c>LoadBalancing</c> meter of a container's <see cref="IMeterFactory"/>.</summary>
internal static class MetricsReader
{
    public static MetricCollector<long> Collect(IMeterFactory meters, string instrument) => new(meters, "LoadBalancing", instrument);

    /// <summary>Observes the instrument once and returns its values by the value of <paramref name="tag"/>.</summary>
    public static Dictionary<string, long> ByTag(MetricCollector<long> collector, string tag)
    {
        collector.Clear();
        collector.RecordObservableInstruments();
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var measurement in collector.GetMeasurementSnapshot())
        {
            Assert.True(measurement.Tags.TryGetValue(tag, out var value), $"{collector.Instrument?.Name}: a measurement without the {tag} tag");
            values.Add((string)value!, measurement.Value);
        }

        return values;
    }

    /// <summary>Observes an untagged instrument once and returns its one value.</summary>
    public static long Single(MetricCollector<long> collector)
    {
        collector.Clear();
        collector.RecordObservableInstruments();
        var measurement = Assert.Single(collector.GetMeasurementSnapshot());
        Assert.Empty(measurement.Tags);
        return measurement.Value;
    }
}
