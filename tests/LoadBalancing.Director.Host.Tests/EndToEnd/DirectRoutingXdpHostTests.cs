using System.Diagnostics;
using LoadBalancing.Director.Host.Tests.Fixtures;

namespace LoadBalancing.Director.Host.Tests.EndToEnd;

/// <summary>
/// <c>lb-director</c> as a Direct-Routing director with the XDP fast path (<c>Director:DirectRouting:Xdp=generic</c>)
/// in the shipped LVS-DR lab: the program is attached while it runs, keep-alive traffic carried by the kernel is in
/// <c>lbadm -Ln --stats</c>, and stopping the director detaches the program.
/// </summary>
public sealed class DirectRoutingXdpHostTests
{
    private const string Vip = "10.77.0.100";
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task DrModeWithGenericXdp_KeepAliveTrafficCountedInStats_ProgramDetachedOnStop()
    {
        RootLab.RequireOrSkip("lb-director in DR mode with XDP", "ip", "nginx", "nft", "ethtool", "curl");
        var prefix = $"lbx{Random.Shared.Next(0x10000):x4}";
        var script = Path.Combine(AppContext.BaseDirectory, "Demo", "dr-lab.sh");
        var directory = Directory.CreateTempSubdirectory("lbh-xdp-").FullName;
        try
        {
            Assert.Equal(0, (await RunAsync("bash", script, "up", prefix, "2")).ExitCode);
            await File.WriteAllTextAsync(
                Path.Combine(directory, "rules"),
                $"-A -t {Vip}:80 -s rr\n-a -t {Vip}:80 -r 10.77.0.21:80 -g -w 1\n-a -t {Vip}:80 -r 10.77.0.22:80 -g -w 1\n",
                Ct);

            await using var director = await DirectorProcess.StartInNamespaceAsync(
                $"{prefix}-dir", directory, "--Director:Forwarder=dr", "--Director:DirectRouting:InterfaceName=eth0",
                "--Director:DirectRouting:Workers=1", "--Director:DirectRouting:Xdp=generic");
            Assert.Contains("XDP fast path attached to eth0 in Generic mode", director.Output.Text, StringComparison.Ordinal);
            Assert.Contains("prog/xdp", (await RunAsync("ip", "-n", $"{prefix}-dir", "link", "show", "eth0")).Output, StringComparison.Ordinal);

            var clock = Stopwatch.StartNew();
            while ((await RunAsync("ip", "netns", "exec", $"{prefix}-cli", "curl", "-s", "--max-time", "3", $"http://{Vip}/")).Output.Length == 0)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"no answer through the VIP within 20 s:\n{director.Output.Text}");
                await Task.Delay(250, Ct);
            }

            Assert.Equal(0, (await LbadmProcess.RunAsync(director.SocketAddress, "-Z")).ExitCode);

            // 200 requests on one keep-alive connection: after the handshake the kernel carries the client's segments.
            var (exitCode, output) = await RunAsync("ip", "netns", "exec", $"{prefix}-cli", "curl", "-s", "--max-time", "20", $"http://{Vip}/?[1-200]");
            Assert.Equal(0, exitCode);
            Assert.Equal(200, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

            // The kernel's per-flow counters are folded in once a second: InPkts covers all 200 requests.
            long inPackets = 0;
            clock.Restart();
            while (inPackets < 200 && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(500, Ct);
                var stats = await LbadmProcess.RunAsync(director.SocketAddress, "-Ln --stats");
                Assert.Equal(0, stats.ExitCode);
                inPackets = stats.Stdout.Split('\n').Where(l => l.Contains("-> 10.77.0.2", StringComparison.Ordinal))
                    .Sum(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3], System.Globalization.CultureInfo.InvariantCulture));
            }

            Assert.True(inPackets >= 200, $"InPkts {inPackets} after 200 keep-alive requests");

            Assert.Equal(0, await director.StopAsync());
            Assert.DoesNotContain("xdp", (await RunAsync("ip", "-n", $"{prefix}-dir", "link", "show", "eth0")).Output, StringComparison.Ordinal);
        }
        finally
        {
            await RunAsync("bash", script, "down", prefix);
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
