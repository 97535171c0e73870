using LoadBalancing.Director.Host.Tests.Fixtures;

namespace LoadBalancing.Director.Host.Tests.EndToEnd;

/// <summary>
/// <c>lb-director</c> as a Direct-Routing director (<c>Director:Forwarder=dr</c>), configured by its rules file, in the
/// director namespace of the shipped LVS-DR lab (<c>Demo/dr-lab.sh</c>: client, director, two nginx real servers with
/// the VIP on lo), driven by the real <c>lbadm</c> and real curl clients.
/// </summary>
public sealed class DirectRoutingHostTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task DrMode_GatewayServersInRulesFile_EveryServerAnswersRepliesBypassDirectorConnectionsListed()
    {
        RootLab.RequireOrSkip("lb-director in DR mode", "ip", "nginx", "nft", "ethtool", "curl");
        var lab = await DrHostLab.StartAsync("lbh", Ct);
        try
        {
            await using var director = await lab.StartDirectorAsync(Ct, $"--Director:Metrics:Prometheus:Url={DrHostLab.MetricsUrl}");
            Assert.Contains("Direct routing on eth0", director.Output.Text, StringComparison.Ordinal);

            Assert.Equal(0, (await LbadmProcess.RunAsync(director.SocketAddress, "-Z")).ExitCode);
            var answers = new List<string>();
            for (var i = 0; i < 20; i++)
            {
                answers.Add(await lab.CurlAsync(Ct) ?? "no answer");
            }

            // rr over two servers, one new connection per request: each serves 10.
            Assert.Equal(10, answers.Count(a => a.StartsWith("rs1 ", StringComparison.Ordinal)));
            Assert.Equal(10, answers.Count(a => a.StartsWith("rs2 ", StringComparison.Ordinal)));

            // The director counts the client's packets and never sees a reply: DR replies go from the servers
            // straight to the client, so OutPkts stay 0.
            var stats = await LbadmProcess.RunAsync(director.SocketAddress, "-Ln --stats");
            Assert.Equal(0, stats.ExitCode);
            long inPackets = 0;
            foreach (var server in new[] { "10.77.0.21:80", "10.77.0.22:80" })
            {
                var columns = stats.Stdout.Split('\n').Single(l => l.Contains($"-> {server}", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                inPackets += long.Parse(columns[3], System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal("10", columns[2]);            // Conns
                Assert.True(long.Parse(columns[3], System.Globalization.CultureInfo.InvariantCulture) >= 10 * 4, stats.Stdout); // InPkts: SYN, ACK, request, FIN/ACKs
                Assert.Equal("0", columns[4]);             // OutPkts
            }

            // The forwarder's frame counters (not zeroed by -Z, so they also hold the lab's readiness probes): every
            // packet counted above was a frame forwarded in user space; nothing went through a kernel fast path.
            var samples = await lab.ScrapeMetricsAsync(Ct);
            var forwarded = PrometheusText.Find(samples, "lb_dr_frames_total", ("lb_verdict", "forward"));
            Assert.True(forwarded >= inPackets, $"forwarded {forwarded}, InPkts {inPackets}\n{PrometheusText.Dump(samples, "lb_dr_")}");
            Assert.Equal(0, PrometheusText.Find(samples, "lb_dr_frames_total", ("lb_verdict", "malformed")));
            Assert.Equal(0, PrometheusText.Find(samples, "lb_dr_fast_path_packets_total"));
            Assert.Equal(0, PrometheusText.Find(samples, "lb_dr_kernel_scheduled_total", ("lb_reuse", "new")));
            Assert.Equal(0, PrometheusText.Find(samples, "lb_dr_send_errors_total"));

            // The DR forwarder's connections are in the director's table (lbadm -Lnc).
            var connections = await LbadmProcess.RunAsync(director.SocketAddress, "-Lnc");
            Assert.Equal(0, connections.ExitCode);
            Assert.Contains($"{DrHostLab.Vip}:80", connections.Stdout, StringComparison.Ordinal);
            Assert.Contains("10.77.0.21:80", connections.Stdout, StringComparison.Ordinal);
            Assert.Contains("10.77.0.22:80", connections.Stdout, StringComparison.Ordinal);

            Assert.Equal(0, await director.StopAsync());
        }
        finally
        {
            await lab.DisposeAsync();
        }

        Assert.False(Directory.Exists("/var/run/netns") && Directory.GetFiles("/var/run/netns", $"{lab.Prefix}-*").Length > 0, "lab namespaces left behind");
    }

    [Fact]
    public async Task DrMode_NoSuchInterface_ClearErrorNoStackTrace()
    {
        RootLab.RequireOrSkip("lb-director in DR mode", "ip", "nginx", "nft", "ethtool", "curl");
        var directory = Directory.CreateTempSubdirectory("lbh-dr-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "rules"), "", Ct);
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => DirectorProcess.StartAsync(
                directory, "--Director:Forwarder=dr", "--Director:DirectRouting:InterfaceName=nosuchif0"));
            Assert.Matches(@"lb-director exited with [12] during start", e.Message);
            Assert.Contains("lb-director: interface 'nosuchif0' not found", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
