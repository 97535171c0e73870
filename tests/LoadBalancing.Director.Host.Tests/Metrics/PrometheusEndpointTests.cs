using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using LoadBalancing.Director.Host.Tests.Fixtures;

namespace LoadBalancing.Director.Host.Tests.Metrics;

/// <summary>The opt-in Prometheus endpoint of the real host, scraped over HTTP after real traffic through the proxy.</summary>
public sealed class PrometheusEndpointTests : HostTestBed
{
    public PrometheusEndpointTests() => ServeThree();

    [Fact]
    public async Task Scrape_AfterTraffic_CountersPerServiceAndRealServer()
    {
        var rs1 = Servers[0].EndPoint.ToString();
        var rs2 = Servers[1].EndPoint.ToString();
        var service = $"TCP {Vip}";
        await File.WriteAllTextAsync(Path.Combine(WorkDirectory, "rules"), $"-A -t {Vip} -s wrr\n-a -t {Vip} -r {rs1} -m -w 1\n-a -t {Vip} -r {rs2} -m -w 3\n", TestContext.Current.CancellationToken);
        var url = $"http://127.0.0.1:{FreePort()}/metrics";
        await using var director = await DirectorProcess.StartAsync(WorkDirectory, $"--Director:Metrics:Prometheus:Url={url}");

        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 3, ["rs2"] = 9 }, await Traffic.SendAsync(Vip, 12));

        var samples = await ScrapeUntilAsync(url, s => PrometheusText.Find(s, "lb_service_connections_total", ("lb_service", service)) == 12);
        Assert.Equal(3, PrometheusText.Find(samples, "lb_real_server_connections_total", ("lb_service", service), ("lb_real_server", rs1)));
        Assert.Equal(9, PrometheusText.Find(samples, "lb_real_server_connections_total", ("lb_service", service), ("lb_real_server", rs2)));
        Assert.Equal(12, PrometheusText.Find(samples, "lb_scheduler_decisions_total", ("lb_service", service), ("lb_scheduler", "wrr"), ("lb_result", "scheduled")));
        Assert.Equal(0, PrometheusText.Find(samples, "lb_scheduler_decisions_total", ("lb_service", service), ("lb_result", "no_destination")));
        Assert.Equal(3, PrometheusText.Find(samples, "lb_real_server_weight", ("lb_real_server", rs2)));

        // The proxy forwarder's own counters (AddProxyForwarder registers them on the same meter).
        Assert.Equal(12, PrometheusText.Find(samples, "lb_proxy_connections_total", ("lb_protocol", "tcp")));
        Assert.Equal(0, PrometheusText.Find(samples, "lb_proxy_connections_total", ("lb_protocol", "udp")));
        Assert.Equal(0, PrometheusText.Find(samples, "lb_proxy_connect_failures_total", ("lb_protocol", "tcp")));
        Assert.Equal(0, PrometheusText.Find(samples, "lb_proxy_no_destination_total", ("lb_protocol", "tcp")));
        Assert.NotNull(PrometheusText.Find(samples, "lb_proxy_open_flows"));
        Assert.Equal(0, PrometheusText.Find(samples, "lb_proxy_accept_errors_total"));

        // The same numbers lbadm -Ln --stats --exact prints for the service: Conns InPkts OutPkts InBytes OutBytes.
        var stats = await LbadmProcess.RunOkAsync(director.SocketAddress, "-Ln --stats --exact");
        var row = Regex.Match(stats, $@"TCP  {Regex.Escape(Vip.ToString())}\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)");
        Assert.True(row.Success, stats);
        Assert.Equal(12, long.Parse(row.Groups[1].Value));
        Assert.Equal(long.Parse(row.Groups[2].Value), PrometheusText.Find(samples, "lb_service_packets_total", ("lb_service", service), ("lb_direction", "in")));
        Assert.Equal(long.Parse(row.Groups[3].Value), PrometheusText.Find(samples, "lb_service_packets_total", ("lb_service", service), ("lb_direction", "out")));
        Assert.Equal(long.Parse(row.Groups[4].Value), PrometheusText.Find(samples, "lb_service_bytes_total", ("lb_service", service), ("lb_direction", "in")));
        Assert.Equal(long.Parse(row.Groups[5].Value), PrometheusText.Find(samples, "lb_service_bytes_total", ("lb_service", service), ("lb_direction", "out")));
        Assert.True(long.Parse(row.Groups[5].Value) > 0);

        // Every server quiesced: the next client finds no destination, and that decision is counted.
        await LbadmProcess.RunOkAsync(director.SocketAddress, $"-e -t {Vip} -r {rs1} -m -w 0");
        await LbadmProcess.RunOkAsync(director.SocketAddress, $"-e -t {Vip} -r {rs2} -m -w 0");
        Assert.Null(await Traffic.SendOneAsync(Vip));
        samples = await ScrapeUntilAsync(url, s => PrometheusText.Find(s, "lb_scheduler_decisions_total", ("lb_service", service), ("lb_result", "no_destination")) > 0
            && PrometheusText.Find(s, "lb_proxy_no_destination_total", ("lb_protocol", "tcp")) > 0);
        Assert.Equal(1, PrometheusText.Find(samples, "lb_scheduler_decisions_total", ("lb_service", service), ("lb_result", "no_destination")));
        Assert.Equal(0, PrometheusText.Find(samples, "lb_real_server_weight", ("lb_real_server", rs2)));
        Assert.Equal(1, PrometheusText.Find(samples, "lb_proxy_no_destination_total", ("lb_protocol", "tcp")));
        Assert.Equal(13, PrometheusText.Find(samples, "lb_proxy_connections_total", ("lb_protocol", "tcp")));
    }

    private static async Task<List<PrometheusText.Sample>> ScrapeUntilAsync(string url, Func<List<PrometheusText.Sample>, bool> condition)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            using var response = await http.GetAsync(url, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            var samples = PrometheusText.Parse(text);
            if (condition(samples))
            {
                return samples;
            }

            Assert.True(DateTime.UtcNow < deadline, $"condition not met within 20 s; last scrape:\n{text}");
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
