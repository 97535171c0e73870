using System.Diagnostics;
using LoadBalancing.Director.Host.Tests.Fixtures;

namespace LoadBalancing.Director.Host.Tests.EndToEnd;

/// <summary>
/// <c>lb-director</c> as a Direct-Routing director with the kernel fast path (<c>Director:DirectRouting:Xdp=generic</c>
/// or <c>tc</c>) in the shipped LVS-DR lab: the program is attached while it runs, keep-alive traffic carried by the
/// kernel is in <c>lbadm -Ln --stats</c> and in the <c>lb_dr_*</c> series of the Prometheus endpoint, and stopping the
/// director detaches the program.
/// </summary>
public sealed class DirectRoutingXdpHostTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("generic", "Generic")]
    [InlineData("tc", "Tc")]
    public async Task DrModeWithFastPath_KeepAliveTrafficCountedInStats_ProgramDetachedOnStop(string setting, string mode)
    {
        RootLab.RequireOrSkip("lb-director in DR mode with XDP", "ip", "nginx", "nft", "ethtool", "curl");
        await using var lab = await DrHostLab.StartAsync("lbx", Ct);
        // The endpoint listens in the director's namespace (the lab's own), so a fixed port cannot collide.
        await using var director = await lab.StartDirectorAsync(Ct, $"--Director:DirectRouting:Xdp={setting}", $"--Director:Metrics:Prometheus:Url={DrHostLab.MetricsUrl}");
        Assert.Contains($"Kernel fast path attached to eth0 in {mode} mode", director.Output.Text, StringComparison.Ordinal);
        if (setting == "generic")
        {
            Assert.Contains("prog/xdp", (await DrHostLab.RunAsync("ip", Ct, "-n", $"{lab.Prefix}-dir", "link", "show", "eth0")).Output, StringComparison.Ordinal);
        }

        // The lab's readiness probe was a connection the kernel may have scheduled: it is adopted (and counted) up to
        // a second later, so the counters are zeroed after that.
        await Task.Delay(1500, Ct);
        Assert.Equal(0, (await LbadmProcess.RunAsync(director.SocketAddress, "-Z")).ExitCode);

        // 200 requests on one keep-alive connection: after the handshake the kernel carries the client's segments.
        var (exitCode, output) = await lab.ExecAsync("cli", Ct, "curl", "-s", "--max-time", "20", $"http://{DrHostLab.Vip}/?[1-200]");
        Assert.Equal(0, exitCode);
        Assert.Equal(200, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        // The kernel's per-flow counters are folded in once a second: InPkts covers all 200 requests, though the
        // director's own packet sockets saw only the SYN.
        long inPackets = 0;
        var clock = Stopwatch.StartNew();
        while (inPackets < 200 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(500, Ct);
            var stats = await LbadmProcess.RunAsync(director.SocketAddress, "-Ln --stats");
            Assert.Equal(0, stats.ExitCode);
            inPackets = stats.Stdout.Split('\n').Where(l => l.Contains("-> 10.77.0.2", StringComparison.Ordinal))
                .Sum(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3], System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.True(inPackets >= 200, $"InPkts {inPackets} after 200 keep-alive requests");

        // The lab's service is rr: the kernel schedules new connections itself (Director:DirectRouting:KernelScheduling
        // defaults to true) from rr's picks, and the table adopts them within a second.
        var served = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var (curlExit, body) = await lab.ExecAsync("cli", Ct, "curl", "-s", "--max-time", "3", $"http://{DrHostLab.Vip}/");
            Assert.Equal(0, curlExit);
            served.Add(body.Split(' ')[0]);
        }

        Assert.Equal(5, served.Count(s => s == "rs1"));
        Assert.Equal(5, served.Count(s => s == "rs2"));
        long connections = 0;
        clock.Restart();
        while (connections < 11 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(500, Ct);
            var stats = await LbadmProcess.RunAsync(director.SocketAddress, "-Ln --stats");
            connections = stats.Stdout.Split('\n').Where(l => l.Contains("-> 10.77.0.2", StringComparison.Ordinal))
                .Sum(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2], System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal(11, connections);

        // The forwarder's own counters (not zeroed by -Z): the kernel carried the keep-alive requests and scheduled
        // the new connections itself (user space saw none of their frames: lb_dr_frames stays 0 for every verdict).
        var samples = await lab.ScrapeMetricsAsync(Ct);
        Assert.True(PrometheusText.Find(samples, "lb_dr_fast_path_packets_total") >= 200, PrometheusText.Dump(samples, "lb_dr_"));
        Assert.True(PrometheusText.Find(samples, "lb_dr_fast_path_bytes_total") >= 40 * PrometheusText.Find(samples, "lb_dr_fast_path_packets_total"), PrometheusText.Dump(samples, "lb_dr_"));
        Assert.True(PrometheusText.Find(samples, "lb_dr_kernel_scheduled_total", ("lb_reuse", "new")) >= 10, PrometheusText.Dump(samples, "lb_dr_"));
        Assert.NotNull(PrometheusText.Find(samples, "lb_dr_kernel_scheduled_total", ("lb_reuse", "reused")));
        Assert.True(PrometheusText.Find(samples, "lb_dr_fast_path_handovers_total") >= 11, PrometheusText.Dump(samples, "lb_dr_"));
        Assert.InRange(PrometheusText.Find(samples, "lb_dr_fast_path_flows") ?? -1, 0, PrometheusText.Find(samples, "lb_dr_fast_path_handovers_total") ?? 0);
        Assert.Equal(0, PrometheusText.Find(samples, "lb_dr_fast_path_errors_total"));
        Assert.Equal(0, PrometheusText.Find(samples, "lb_dr_send_errors_total"));
        Assert.Equal(0, PrometheusText.Find(samples, "lb_dr_frames_total", ("lb_verdict", "malformed")));
        Assert.Equal(13, samples.Count(x => x.Name == "lb_dr_frames_total"));

        Assert.Equal(0, await director.StopAsync());
        Assert.DoesNotContain("xdp", (await DrHostLab.RunAsync("ip", Ct, "-n", $"{lab.Prefix}-dir", "link", "show", "eth0")).Output, StringComparison.Ordinal);
    }
}
