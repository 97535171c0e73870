using System.Globalization;
using System.Net.Sockets;
using System.Runtime.Versioning;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

/// <summary>
/// The end-to-end scenarios, run through both forwarders in the same lab (samples/LoadBalancing.Director.Host/Demo/dr-lab.sh: client,
/// director, three nginx real servers configured for LVS-DR on one bridge). "dr": the Direct-Routing forwarder on the
/// director's eth0, replies go straight from the real servers to the client. "proxy": the userspace proxy on the
/// director's VIP:80, connecting to the real servers' own addresses. Each forwarder runs in lb-labhost inside the
/// director namespace, with the real health checker where a scenario needs it.
/// </summary>
[SupportedOSPlatform("linux")] // NetLab.RequireOrSkip skips elsewhere before any Linux-only call
public sealed class ForwarderScenarioTests
{
    private const string Rs1 = "10.77.0.21";
    private const string Rs2 = "10.77.0.22";
    private const string Rs3 = "10.77.0.23";

    [Theory]
    [InlineData("dr")]
    [InlineData("dr-tc")]
    [InlineData("proxy")]
    public async Task Wrr_3000NewConnections_EveryServerServesWithin5PercentOfItsWeight(string mode)
    {
        NetLab.RequireOrSkip();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = cts.Token;
        await using var lab = await NetLab.StartAsync(realServers: 3, ct, LabMode(mode));
        await using var host = await StartHostAsync(lab, mode, ct, $"{Rs1}:3", $"{Rs2}:2", $"{Rs3}:1");

        var split = await lab.CurlManyAsync(3000, parallel: 8, ct);

        Assert.Equal(3000, split.Values.Sum()); // every request answered, no failure line
        AssertShare(split, "rs1", 3000 * 3 / 6);
        AssertShare(split, "rs2", 3000 * 2 / 6);
        AssertShare(split, "rs3", 3000 * 1 / 6);

        // The forwarder's table scheduled the connections the servers answered. Both forwarders key the table on the
        // client's address and port; the client reuses ports at once (the server closes first, so the client holds no
        // TIME_WAIT), and a SYN on an entry still in FIN_WAIT stays on that entry's server without a new scheduling
        // (IPVS's default conn_reuse_mode 1): the table may count fewer than were served, never more. With the tcx
        // fast path the kernel scheduled them from wrr's picks, and the table adopts them at its next sweep (about a
        // second; polled for up to 5 s).
        if (mode == "dr-tc")
        {
            long kernelScheduled = 0;
            for (var attempt = 0; attempt < 25 && kernelScheduled < 2400; attempt++)
            {
                await Task.Delay(200, ct);
                var forwarder = (await host.CommandAsync("stats", ct)).Single(l => l.StartsWith("forwarder ", StringComparison.Ordinal));
                kernelScheduled = long.Parse(forwarder.Split(' ').Single(p => p.StartsWith("kernelscheduled=", StringComparison.Ordinal))["kernelscheduled=".Length..], CultureInfo.InvariantCulture);
            }

            Assert.InRange(kernelScheduled, 2400, 3000);
        }

        var table = await host.ConnectionsPerServerAsync(ct);
        foreach (var (name, address) in new[] { ("rs1", Rs1), ("rs2", Rs2), ("rs3", Rs3) })
        {
            Assert.InRange(table[address], (long)(split[name] * 0.8), split[name]);
        }
    }

    [Theory]
    [InlineData("dr")]
    [InlineData("dr-tc")]
    [InlineData("proxy")]
    public async Task WeightZeroAndRemovedServers_GetNoNewConnectionsWhileTheirOpenOnesFinish(string mode)
    {
        NetLab.RequireOrSkip();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = cts.Token;
        await using var lab = await NetLab.StartAsync(realServers: 3, ct, LabMode(mode));
        await using var host = await StartHostAsync(lab, mode, ct, $"{Rs1}:1", $"{Rs2}:1", $"{Rs3}:1");

        // One wrr cycle of keep-alive connections: one open connection on each server.
        var open = new List<Socket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                open.Add(await lab.ConnectVipFromClientAsync());
            }

            var servedBy = open.Select(NetLab.HttpGet).ToList();
            Assert.Equal(["rs1", "rs2", "rs3"], servedBy.Order());
            var onRs1 = open[servedBy.IndexOf("rs1")];
            var onRs2 = open[servedBy.IndexOf("rs2")];

            await host.CommandAsync($"weight {Rs1} 0", ct);
            var quiesced = await lab.CurlManyAsync(60, parallel: 4, ct, firstPort: 20000);
            Assert.Equal(60, quiesced.Values.Sum());
            Assert.False(quiesced.ContainsKey("rs1"), $"weight-0 rs1 got new connections: {Show(quiesced)}");
            Assert.InRange(quiesced.GetValueOrDefault("rs2"), 25, 35); // rs2 and rs3 share the load
            Assert.Equal("rs1", NetLab.HttpGet(onRs1)); // its open connection keeps working

            await host.CommandAsync($"remove {Rs2}", ct);
            var removed = await lab.CurlManyAsync(60, parallel: 4, ct, firstPort: 21000);
            Assert.Equal(new Dictionary<string, int> { ["rs3"] = 60 }, removed);
            Assert.Equal("rs2", NetLab.HttpGet(onRs2)); // the removed server's open connection finishes normally
            Assert.Equal("rs1", NetLab.HttpGet(onRs1));
        }
        finally
        {
            open.ForEach(s => s.Dispose());
        }
    }

    [Theory]
    [InlineData("dr")]
    [InlineData("dr-tc")]
    [InlineData("proxy")]
    public async Task KilledNginx_IsTakenOutByTheHealthCheckerAndComesBackWhenRestarted(string mode)
    {
        NetLab.RequireOrSkip();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = cts.Token;
        await using var lab = await NetLab.StartAsync(realServers: 3, ct, LabMode(mode));
        await using var host = await StartHostAsync(lab, mode, ct, ["--health", "tcp", "--health-interval-ms", "200", "--server", $"{Rs1}:1", "--server", $"{Rs2}:1", "--server", $"{Rs3}:1"]);

        var before = await lab.CurlManyAsync(30, parallel: 4, ct, firstPort: 20000);
        Assert.Equal(30, before.Values.Sum());
        Assert.All(new[] { "rs1", "rs2", "rs3" }, name => Assert.InRange(before.GetValueOrDefault(name), 8, 12));

        await lab.StopNginxAsync(3, ct);
        await host.WaitForAsync(l => l == $"health {Rs3} down weight=0", TimeSpan.FromSeconds(10), ct);
        var during = await lab.CurlManyAsync(60, parallel: 4, ct, firstPort: 21000);
        Assert.Equal(60, during.Values.Sum()); // every request served
        Assert.False(during.ContainsKey("rs3"), $"rs3 served while down: {Show(during)}");
        Assert.InRange(during.GetValueOrDefault("rs1"), 25, 35);

        await lab.StartNginxAsync(3, ct);
        await host.WaitForAsync(l => l == $"health {Rs3} up weight=1", TimeSpan.FromSeconds(10), ct);
        var after = await lab.CurlManyAsync(30, parallel: 4, ct, firstPort: 22000);
        Assert.Equal(30, after.Values.Sum());
        Assert.True(after.GetValueOrDefault("rs3") > 0, $"rs3 not back after it recovered: {Show(after)}");
    }

    /// <summary>The lab's arrangement for a forwarder mode: "dr-tc" (DR with the tcx fast path) is a DR lab.</summary>
    internal static string LabMode(string mode) => mode == "dr-tc" ? "dr" : mode;

    internal static Task<LabHostProcess> StartHostAsync(NetLab lab, string mode, CancellationToken ct, params string[] serversOrArguments)
    {
        var arguments = new List<string> { "--mode", LabMode(mode), "--vip", NetLab.Vip, "--service", "tcp:80", "--scheduler", "wrr", "--workers", "2" };
        if (mode == "dr-tc")
        {
            arguments.AddRange(["--xdp", "tc"]);
        }

        if (serversOrArguments.Length > 0 && serversOrArguments[0].StartsWith("--", StringComparison.Ordinal))
        {
            arguments.AddRange(serversOrArguments);
        }
        else
        {
            arguments.AddRange(serversOrArguments.SelectMany(s => new[] { "--server", s }));
        }

        return LabHostProcess.StartAsync(lab.DirectorNamespace, ct, [.. arguments]);
    }

    private static void AssertShare(Dictionary<string, int> split, string server, int expected)
    {
        var got = split.GetValueOrDefault(server);
        Assert.True(Math.Abs(got - expected) <= expected * 0.05, $"{server}: {got} connections, expected {expected} ± 5%; split {Show(split)}");
    }

    private static string Show(Dictionary<string, int> split) => string.Join(", ", split.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"));
}
