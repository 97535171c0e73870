using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace LoadBalancing.Director.Host;

/// <summary>
/// The opt-in Prometheus text endpoint: <c>Director:Metrics:Prometheus:Url = http://127.0.0.1:9108/metrics</c> serves
/// every instrument of the <c>LoadBalancing</c> meter (<c>lb.service.*</c>, <c>lb.real_server.*</c>,
/// <c>lb.scheduler.decisions</c>, <c>lb.health.*</c>, and the configured forwarder's data-plane counters: <c>lb.dr.*</c>
/// such as <c>lb.dr.frames</c> by <c>lb.verdict</c> and <c>lb.dr.fast_path.*</c>, or <c>lb.proxy.*</c>; docs/director.md).
/// Off when the setting is absent. No authentication: bind it to loopback or a management address only.
/// </summary>
internal static class PrometheusEndpoint
{
    public const string UrlKey = "Director:Metrics:Prometheus:Url";

    /// <summary>Adds the endpoint when configured.</summary>
    /// <returns><see langword="null"/> when fine (configured or not), else a message naming the setting.</returns>
    public static string? TryAdd(IServiceCollection services, IConfiguration configuration)
    {
        var url = configuration[UrlKey];
        if (string.IsNullOrEmpty(url))
        {
            return null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp
            || !(IPAddress.TryParse(uri.Host.Trim('[', ']'), out _) || uri.Host == "localhost")
            || uri.AbsolutePath.Length < 2 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            return $"{UrlKey} '{url}' must be http://ADDRESS:PORT/PATH with an IP address or localhost (e.g. http://127.0.0.1:9108/metrics).";
        }

        services.AddOpenTelemetry().ConfigureResource(r => r.AddService("lb-director")).WithMetrics(metrics => metrics
            .AddMeter(Metrics.MeterName)
            .AddPrometheusHttpListener(o =>
            {
                o.Host = uri.Host;
                o.Port = uri.Port;
                o.ScrapeEndpointPath = uri.AbsolutePath;
            }));
        return null;
    }

    private static class Metrics
    {
        // The name of the meter every LoadBalancing instrument is on (DirectorMetrics, HealthMetrics, the forwarders' metrics).
        public const string MeterName = "LoadBalancing";
    }
}
