using System.Net.Sockets;
using System.Runtime.Versioning;
using LoadBalancing.Connections;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

/// <summary>
/// The DR forwarder with its XDP fast path in the namespace lab (samples/LoadBalancing.Director.Host/Demo/dr-lab.sh): real curl and nginx, the
/// program attached to the director's veth. Needs root, BPF, iproute2, nginx, nftables, ethtool, curl.
/// </summary>
[SupportedOSPlatform("linux")] // the skips run first on other platforms
public sealed class XdpEndToEndTests
{
    private static readonly string[] ThreeServers = ["--server", "10.77.0.21:1", "--server", "10.77.0.22:1", "--server", "10.77.0.23:1"];

    [Theory]
    [InlineData("generic", "on")]
    [InlineData("tc", "on")]
    [InlineData("tc", "off")]
    public async Task FastPath_FlowsTakeIt_CountedOnce_TableChangesKeepOpenConnections_FinAndRstWithdraw(string mode, string kernelScheduling)
    {
        NetLab.RequireOrSkip();
        XdpTestSupport.RequireOrSkip();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var ct = cts.Token;
        await using var lab = await NetLab.StartAsync(realServers: 3, ct);
        await using var host = await LabHostProcess.StartAsync(lab.DirectorNamespace, ct,
            ["--mode", "dr", "--vip", NetLab.Vip, "--service", "tcp:80", "--scheduler", "rr", "--workers", "2", "--xdp", mode, "--kernel-scheduling", kernelScheduling, .. ThreeServers]);

        var link = await lab.ExecAsync("dir", ct, "ip", "link", "show", "eth0");
        if (mode == "generic")
        {
            Assert.Contains("xdpgeneric", link);
            Assert.Contains("name lb_dr_xdp", link);
        }
        else
        {
            Assert.DoesNotContain("xdp", link); // tcx: nothing at the XDP hook (the traffic below shows the classifier)
        }

        // rr over new connections, scheduled in the kernel from the scheduler's picks or in user space.
        var split = await lab.CurlVipAsync(30, ct);
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 10, ["rs2"] = 10, ["rs3"] = 10 }, split);

        // 300 keep-alive requests on one connection: after the SYN every segment is the kernel's, the FIN included.
        var keepAlive = await lab.ExecAsync("cli", ct, "curl", "-s", "--max-time", "20", $"http://{NetLab.Vip}/?[1-300]");
        Assert.Equal(300, keepAlive.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var stats = await WaitForStatsAsync(host, s => s.Forwarder["xdpactive"] == 0 && s.Forwarder["xdpmap"] == 0, ct);
        var xdpPackets = stats.Forwarder["xdppackets"];
        Assert.True(xdpPackets >= 300, $"fast path {xdpPackets} packets: {string.Join(" ", stats.Forwarder.Select(p => $"{p.Key}={p.Value}"))}");
        Assert.Equal(0, stats.Forwarder["xdperrors"]);

        // Scheduled in user space, each of the 31 connections so far took one trip through it, its SYN; with the tc
        // classifier the packet sockets never saw the rest either (with XDP it never reaches the taps). Scheduled in
        // the kernel, none did: the table adopted all 31. A flow closed by a FIN is withdrawn at the next
        // synchronization: a client's last ACK that comes after it takes a trip (rare: the sync would have to fall
        // between the FIN and that ACK), hence the slack.
        if (kernelScheduling == "on")
        {
            Assert.InRange(stats.Forwarder["forwarded"], 0, 3);
            Assert.Equal(31, stats.Forwarder["kernelscheduled"]);
        }
        else
        {
            Assert.InRange(stats.Forwarder["forwarded"], 31, 34);
            Assert.Equal(0, stats.Forwarder["kernelscheduled"]);
        }

        Assert.Equal(31, stats.Servers.Values.Sum(s => s["conns"]));
        if (mode == "tc")
        {
            // Design B: every frame the classifier passed to the VIP (with kernel scheduling off, every SYN) reached
            // the ETH_P_IP sockets marked PACKET_OTHERHOST: the netdev rule let all of them on, and the director's IP
            // stack, which drops such frames, answered none of them with a reset.
            Assert.Equal(new long[] { 0, 0 }, await lab.VipDropCountersAsync(ct));
        }

        Assert.Equal(0, await lab.DirectorTcpResetsAsync(ct));

        // Every packet counted once in the per-server counters (what lbadm -Ln --stats shows): the user-space frames
        // plus the kernel's, and the bytes include the kernel's.
        Assert.Equal(stats.Forwarder["forwarded"] + xdpPackets, stats.Servers.Values.Sum(s => s["inpkts"]));
        var inBytes = stats.Servers.Values.Sum(s => s["inbytes"]);
        Assert.True(kernelScheduling == "on" && stats.Forwarder["forwarded"] == 0 ? inBytes == stats.Forwarder["xdpbytes"] : inBytes > stats.Forwarder["xdpbytes"], $"in {inBytes} bytes, {stats.Forwarder["xdpbytes"]} in the kernel");

        // Three open keep-alive connections: three rr picks in a row, one per server.
        var open = new List<Socket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                open.Add(await lab.ConnectVipFromClientAsync());
            }

            var servedBy = open.Select(NetLab.HttpGet).ToList();
            Assert.Equal(["rs1", "rs2", "rs3"], servedBy.Order());
            stats = await WaitForStatsAsync(host, s => s.Forwarder["xdpmap"] == 3, ct);
            var before = stats.Forwarder["xdppackets"];

            // Weight 0 and removal: open connections keep their server (through the kernel), new ones go elsewhere.
            await host.CommandAsync("weight 10.77.0.21 0", ct);
            await host.CommandAsync("remove 10.77.0.22", ct);
            var afterChange = await lab.CurlVipAsync(10, ct);
            Assert.Equal(new Dictionary<string, int> { ["rs3"] = 10 }, afterChange);
            for (var round = 0; round < 5; round++)
            {
                for (var i = 0; i < 3; i++)
                {
                    Assert.Equal(servedBy[i], NetLab.HttpGet(open[i]));
                }
            }

            stats = await WaitForStatsAsync(host, s => s.Forwarder["xdppackets"] >= before + 15 && s.Forwarder["xdpmap"] == 3, ct);

            // RST (linger 0) withdraws its flow at once; FIN (a normal close) the others.
            open[0].LingerState = new LingerOption(true, 0);
            open[0].Close();
            await WaitForStatsAsync(host, s => s.Forwarder["xdpmap"] == 2, ct);
        }
        finally
        {
            open.ForEach(s => s.Dispose());
        }

        await WaitForStatsAsync(host, s => s.Forwarder["xdpmap"] == 0 && s.Forwarder["xdpactive"] == 0, ct);

        if (mode == "tc")
        {
            Assert.Equal(new long[] { 0, 0 }, await lab.VipDropCountersAsync(ct));
        }

        // Stopping the host detaches the program.
        await host.DisposeAsync();
        Assert.DoesNotContain("xdp", await lab.ExecAsync("dir", ct, "ip", "link", "show", "eth0"));

        // Fail-closed: with no forwarder the rule drops everything to the VIP; the client gets no answer (a
        // timeout, not a reset) and the director's kernel sends no RST.
        var dropsBefore = (await lab.VipDropCountersAsync(ct))[0];
        Assert.Equal(28, await lab.CurlVipExitCodeAsync(ct));
        Assert.True((await lab.VipDropCountersAsync(ct))[0] > dropsBefore, "the VIP rule dropped nothing after the forwarder stopped");
        Assert.Equal(0, await lab.DirectorTcpResetsAsync(ct));
    }

    [Theory]
    [InlineData("generic")]
    [InlineData("tc")]
    public async Task ClientReusingItsPort_StaysOnItsServer_TheKernelRenewsTheFlow(string mode)
    {
        NetLab.RequireOrSkip();
        XdpTestSupport.RequireOrSkip();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = cts.Token;
        await using var lab = await NetLab.StartAsync(realServers: 3, ct);
        await using var host = await LabHostProcess.StartAsync(lab.DirectorNamespace, ct,
            ["--mode", "dr", "--vip", NetLab.Vip, "--service", "tcp:80", "--scheduler", "rr", "--xdp", mode, "--kernel-scheduling", "on", .. ThreeServers]);

        // As with wrk and Connection: close: the server closes first (curl reads to the end of the stream, so it
        // never closes first and leaves no TIME_WAIT), the client's port is free at once, and the next connection
        // reuses the tuple while the director's entry for it is in FIN_WAIT.
        var output = await lab.ExecAsync("cli", ct, "bash", "-c",
            $"for i in $(seq 1 12); do curl -s --max-time 5 --ignore-content-length -H 'Connection: close' --local-port 45000 http://{NetLab.Vip}/; echo; sleep 0.2; done");
        var served = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // IPVS (conn_reuse_mode 1) keeps a FIN_WAIT entry's tuple on its server: one connection entry for all twelve.
        Assert.Equal(12, served.Length);
        Assert.Single(served.Distinct());
        var stats = await WaitForStatsAsync(host, s => s.Forwarder["xdpmap"] == 0 && s.Forwarder["xdpactive"] == 0, ct);
        Assert.Equal(1, stats.Servers.Values.Sum(s => s["conns"]));
        Assert.Equal(1, stats.Forwarder["kernelscheduled"]);

        // One renewal per tuple can wait for a synchronization (about a second): the reuses in between pass to user
        // space, which keeps them on the server too.
        Assert.InRange(stats.Forwarder["kernelreused"], 2, 11);
        Assert.Equal(0, stats.Forwarder["xdperrors"]);
        Assert.Equal(stats.Forwarder["forwarded"] + stats.Forwarder["xdppackets"], stats.Servers.Values.Sum(s => s["inpkts"]));
    }

    [Theory]
    [InlineData("generic")]
    [InlineData("tc")]
    public async Task WrkWithConnectionClose_EveryRequestAnswered_ReusedTuplesRenewedInTheKernel_CountedOnce(string mode)
    {
        NetLab.RequireOrSkip();
        XdpTestSupport.RequireOrSkip();
        NetLab.RequireTool("wrk");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = cts.Token;
        await using var lab = await NetLab.StartAsync(realServers: 2, ct);
        await using var host = await LabHostProcess.StartAsync(lab.DirectorNamespace, ct,
            ["--mode", "dr", "--vip", NetLab.Vip, "--service", "tcp:80", "--scheduler", "wrr", "--workers", "2", "--xdp", mode,
             "--server", "10.77.0.21:1", "--server", "10.77.0.22:1"]);

        // Thousands of short connections; the servers close first, so wrk reuses its ports at once.
        var output = await lab.ExecAsync("cli", ct, "timeout", "30", "wrk", "-t2", "-c32", "-d3s", "-H", "Connection: close", $"http://{NetLab.Vip}/");
        var stats = await WaitForStatsAsync(host, s => s.Forwarder["xdpmap"] == 0 && s.Forwarder["xdpactive"] == 0, ct);
        var summary = string.Join(" ", stats.Forwarder.Select(p => $"{p.Key}={p.Value}"));
        Assert.False(output.Contains("Socket errors", StringComparison.Ordinal), $"{output}\n{summary}");
        Assert.False(output.Contains("Non-2xx", StringComparison.Ordinal), $"{output}\n{summary}");
        var requests = long.Parse(System.Text.RegularExpressions.Regex.Match(output, @"(\d+) requests in").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(requests > 500, output);

        Assert.Equal(0, stats.Forwarder["xdperrors"]);
        Assert.True(stats.Forwarder["kernelreused"] > 0, summary);

        // A request's connection is new, or reuses a tuple kept on its server (no new connection, as in IPVS): the
        // kernel's renewals are requests without a connection of their own (wrk's last connections, up to two per
        // open one, made no request it counted).
        var connections = stats.Servers.Values.Sum(s => s["conns"]);
        Assert.InRange(connections, stats.Forwarder["kernelscheduled"], requests - stats.Forwarder["kernelreused"] + 64);

        // Every packet counted once.
        Assert.Equal(stats.Forwarder["forwarded"] + stats.Forwarder["xdppackets"], stats.Servers.Values.Sum(s => s["inpkts"]));
    }

    [Theory]
    [InlineData("generic")]
    [InlineData("tc")]
    public async Task HostKilled_KernelDetachesTheProgram_OffloadedConnectionStops(string mode)
    {
        NetLab.RequireOrSkip();
        XdpTestSupport.RequireOrSkip();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        await using var lab = await NetLab.StartAsync(realServers: 1, ct);
        await using var host = await LabHostProcess.StartAsync(lab.DirectorNamespace, ct,
            ["--mode", "dr", "--vip", NetLab.Vip, "--service", "tcp:80", "--server", "10.77.0.21:1", "--xdp", mode]);
        using var open = await lab.ConnectVipFromClientAsync();
        Assert.Equal("rs1", NetLab.HttpGet(open));
        await WaitForStatsAsync(host, s => s.Forwarder["xdppackets"] > 0 && s.Forwarder["xdpmap"] == 1, ct);
        if (mode == "generic")
        {
            Assert.Contains("prog/xdp", await lab.ExecAsync("dir", ct, "ip", "-d", "link", "show", "eth0"));
        }

        await host.KillAsync(ct);

        // The link's last descriptor closed with the process, so the kernel detached the program. Were it (and its
        // flow map) left behind, the open connection would go on through the kernel; its next request meets the VIP
        // drop rule instead.
        open.ReceiveTimeout = 2000;
        var ex = Assert.ThrowsAny<System.Net.Sockets.SocketException>(() => NetLab.HttpGet(open));
        Assert.Equal(System.Net.Sockets.SocketError.TimedOut, ex.SocketErrorCode);
        Assert.DoesNotContain("xdp", await lab.ExecAsync("dir", ct, "ip", "-d", "link", "show", "eth0"));
    }

    [Fact]
    public async Task NativeXdp_OnVethWhosePeerHasAnXdpProgram_KeepAliveTrafficTakesTheFastPath()
    {
        NetLab.RequireOrSkip();
        XdpTestSupport.RequireOrSkip();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        await using var lab = await NetLab.StartAsync(realServers: 3, ct);

        // Native XDP_TX on a veth needs NAPI on the peer: an XDP_PASS program on the switch-side veth gives it one.
        using var peerLink = await AttachPassProgramAsync(lab, $"{lab.Prefix}-dir");
        await using var host = await LabHostProcess.StartAsync(lab.DirectorNamespace, ct,
            ["--mode", "dr", "--vip", NetLab.Vip, "--service", "tcp:80", "--scheduler", "rr", "--xdp", "native", .. ThreeServers]);
        var link = await lab.ExecAsync("dir", ct, "ip", "link", "show", "eth0");
        Assert.Contains("prog/xdp", link);
        Assert.DoesNotContain("xdpgeneric", link);

        var keepAlive = await lab.ExecAsync("cli", ct, "curl", "-s", "--max-time", "20", $"http://{NetLab.Vip}/?[1-200]");
        Assert.Equal(200, keepAlive.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var split = await lab.CurlVipAsync(30, ct);
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 10, ["rs2"] = 10, ["rs3"] = 10 }, split);
        var stats = await WaitForStatsAsync(host, s => s.Forwarder["xdpmap"] == 0, ct);
        Assert.True(stats.Forwarder["xdppackets"] > stats.Forwarder["forwarded"], $"fast path {stats.Forwarder["xdppackets"]}, user space {stats.Forwarder["forwarded"]}");
        Assert.Equal(stats.Forwarder["forwarded"] + stats.Forwarder["xdppackets"], stats.Servers.Values.Sum(s => s["inpkts"]));
    }

    private static async Task<IDisposable> AttachPassProgramAsync(NetLab lab, string peer)
    {
        IDisposable? link = null;
        await NetLab.InNamespaceAsync($"{lab.Prefix}-sw", () =>
        {
            var code = new LoadBalancing.Forwarding.Linux.Bpf.EbpfAssembler().Move(0, (int)XdpProgram.Pass).Exit().Build();
            using var program = LoadBalancing.Forwarding.Linux.Bpf.BpfSystemCall.LoadProgram(LoadBalancing.Forwarding.Linux.Bpf.BpfSystemCall.ProgramTypeXdp, code, LoadBalancing.Forwarding.Linux.Bpf.BpfSystemCall.AttachTypeXdp, "lb_test_pass");
            var index = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces().Single(i => i.Name == peer).GetIPProperties().GetIPv4Properties().Index;
            link = LoadBalancing.Forwarding.Linux.Bpf.BpfSystemCall.CreateXdpLink(program, index, LoadBalancing.Forwarding.Linux.Bpf.BpfSystemCall.XdpFlagsDriverMode);
            return Task.CompletedTask;
        });
        return link!;
    }

    [Fact]
    public async Task GenericXdp_ConnectionActiveOnlyInTheKernel_DoesNotExpireAndIdleOneDoes()
    {
        NetLab.RequireOrSkip();
        XdpTestSupport.RequireOrSkip();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = cts.Token;
        await using var lab = await NetLab.StartAsync(realServers: 1, ct);
        var services = new ServiceTable(SchedulerRegistry.Default);
        services.Apply(new LoadBalancerConfig
        {
            Services =
            [
                new VirtualServiceConfig
                {
                    Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse(NetLab.Vip), 80),
                    Scheduler = SchedulerNames.RoundRobin,
                    RealServers = [new RealServerConfig { Address = NetworkAddress.Parse("10.77.0.21"), Port = 80, Weight = 1 }],
                },
            ],
        });

        // ESTABLISHED times out after 3 s in this table.
        var table = new ConnectionTable(options: new ConnectionTableOptions { Timeouts = new TimeoutConfig { TcpEstablished = TimeSpan.FromSeconds(3) } });
        await using var forwarder = new DirectRoutingForwarder(services, new DirectRoutingOptions
        {
            InterfaceName = "eth0",
            Workers = 1,
            StartupResolutionTimeout = TimeSpan.FromSeconds(3),
            Xdp = XdpMode.Generic,
        }, table);
        await NetLab.InNamespaceAsync(lab.DirectorNamespace, () => forwarder.StartAsync(ct));

        using var active = await lab.ConnectVipFromClientAsync();
        using var idle = await lab.ConnectVipFromClientAsync();
        Assert.Equal("rs1", NetLab.HttpGet(active));
        Assert.Equal("rs1", NetLab.HttpGet(idle));
        var userSpaceFrames = forwarder.Statistics.Forwarded;

        // 6 s (twice the timeout) of requests every 250 ms on one connection, all carried by the kernel.
        for (var i = 0; i < 24; i++)
        {
            Assert.Equal("rs1", NetLab.HttpGet(active));
            await Task.Delay(250, ct);
        }

        Assert.Equal(userSpaceFrames, forwarder.Statistics.Forwarded);
        Assert.True(forwarder.Statistics.FastPathPackets >= 24, $"fast path {forwarder.Statistics.FastPathPackets}");

        // The idle entry expires in an expiry round (one follows each sweep); its flow leaves the kernel at the next
        // sweep, a second later. Allow up to 3 s more, the active connection kept busy.
        for (var i = 0; i < 12 && forwarder.CountFastPathFlows() != 1; i++)
        {
            Assert.Equal("rs1", NetLab.HttpGet(active));
            await Task.Delay(250, ct);
        }

        var entries = table.GetEntries();
        var activeEntry = Assert.Single(entries, e => e.SourcePort == (ushort)((System.Net.IPEndPoint)active.LocalEndPoint!).Port);
        Assert.Equal("ESTABLISHED", activeEntry.State);
        Assert.DoesNotContain(entries, e => e.SourcePort == (ushort)((System.Net.IPEndPoint)idle.LocalEndPoint!).Port);
        Assert.Equal(1, forwarder.CountFastPathFlows()); // the idle flow was withdrawn when its entry expired
        Assert.Equal(2, services.Services[0].Statistics.Connections);
    }

    private static async Task<LabStats> WaitForStatsAsync(LabHostProcess host, Func<LabStats, bool> condition, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20); // closed flows stay in the kernel for a few synchronizations
        while (true)
        {
            var stats = LabStats.Parse(await host.CommandAsync("stats", ct));
            if (condition(stats))
            {
                return stats;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"stats never matched: forwarder {string.Join(' ', stats.Forwarder.Select(kv => $"{kv.Key}={kv.Value}"))}");
            }

            await Task.Delay(250, ct);
        }
    }

    private sealed record LabStats(Dictionary<string, long> Forwarder, Dictionary<string, Dictionary<string, long>> Servers)
    {
        public static LabStats Parse(List<string> lines)
        {
            static Dictionary<string, long> Fields(string line) => line.Split(' ').Where(f => f.Contains('=')).Select(f => f.Split('='))
                .ToDictionary(p => p[0], p => long.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
            return new LabStats(
                Fields(lines.Single(l => l.StartsWith("forwarder ", StringComparison.Ordinal))),
                lines.Where(l => l.StartsWith("server ", StringComparison.Ordinal)).ToDictionary(l => l.Split(' ')[1], Fields));
        }
    }
}
