using System.Net;
using System.Net.Sockets;
using LoadBalancing.Director.Host.Tests.Fixtures;

namespace LoadBalancing.Director.Host.Tests.EndToEnd;

/// <summary>
/// The real <c>lb-director</c> process with <c>Director:Health</c> settings: passive ejection of a real server whose
/// port refuses (outlier detection fed by the proxy's connects), and a sorry server that is not a real server, added
/// when every real server is down and removed when one is back. Real HTTP servers on 127.0.0.2-4, real lbadm.
/// </summary>
public sealed class PassiveHealthHostTests : HostTestBed
{
    private static readonly TimeSpan LogTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RefusingServer_EjectedByProxyOutcomes_TrafficToTheOthers_ReturnsWhenBack()
    {
        var rs1 = Serve("rs1", "127.0.0.2");
        var rs3 = Serve("rs3", "127.0.0.4");

        // rs2's port is bound but not listening: every connect to it is refused (RST), as a crashed server's.
        var refusing = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        refusing.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 0));
        var rs2 = (IPEndPoint)refusing.LocalEndPoint!;
        WriteRules(rs1.EndPoint, rs2, rs3.EndPoint);
        await using var director = await DirectorProcess.StartAsync(
            WorkDirectory,
            "--Director:Health:Checks:Enabled=false", // passive only: nothing but the proxy's connects can eject rs2
            "--Director:Health:OutlierDetection:Enabled=true",
            "--Director:Health:OutlierDetection:ConsecutiveFailures=3",
            "--Director:Health:OutlierDetection:Interval=0.5",
            "--Director:Health:OutlierDetection:BaseEjectionTime=10",
            "--Director:Health:OutlierDetection:MaxEjectionPercent=50");

        // rr over three: every client that gets rs2 is refused and retried on the next server, so all are answered;
        // the third refusal in a row ejects rs2.
        var mark = director.Output.LineCount;
        var before = await Traffic.SendAsync(Vip, 9);
        Assert.Equal(9, before.GetValueOrDefault("rs1") + before.GetValueOrDefault("rs3"));
        await director.Output.WaitForLineAsync(LogTimeout, mark, $"Outlier detection: {rs2} ejected (ConsecutiveFailures)");
        Assert.Matches($@"  -> {Regex(rs2)}\s+Masq\s+0\s", await LbadmProcess.RunOkAsync(director.SocketAddress, "-Ln"));

        // Ejected (for 10 s: long enough for the checks below on a loaded machine): weight 0, so new connections go
        // to rs1 and rs3 only, evenly.
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 5, ["rs3"] = 5 }, await Traffic.SendAsync(Vip, 10));

        // rs2 comes back on its port; after the ejection time it returns to the pool with its weight and takes its share.
        refusing.Dispose();
        Serve("rs2", "127.0.0.3", rs2.Port);
        await director.Output.WaitForLineAsync(LogTimeout, mark, $"Outlier detection: {rs2} returned after its ejection time");
        Assert.Matches($@"  -> {Regex(rs2)}\s+Masq\s+1\s", await LbadmProcess.RunOkAsync(director.SocketAddress, "-Ln"));
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 2, ["rs2"] = 2, ["rs3"] = 2 }, await Traffic.SendAsync(Vip, 6));
    }

    [Fact]
    public async Task AllRealServersDown_SorryServerAddedAndServes_RemovedWhenOneIsBack()
    {
        var rs1 = Serve("rs1", "127.0.0.2");
        var rs2 = Serve("rs2", "127.0.0.3");
        var sorry = Serve("sorry", "127.0.0.4");
        WriteRules(rs1.EndPoint, rs2.EndPoint);
        var rules = await File.ReadAllTextAsync(Path.Combine(WorkDirectory, "rules"), TestContext.Current.CancellationToken);
        await using var director = await DirectorProcess.StartAsync(
            WorkDirectory,
            "--Director:Health:Checks:DelayLoop=0.2",
            "--Director:Health:Checks:ConnectTimeout=3", // a dead server refuses at once; a slow probe on a loaded machine must not fail a live one
            "--Director:Health:Checks:Rise=1",
            "--Director:Health:Checks:Fall=1",
            $"--Director:Health:VirtualServices:0:Service=-t {Vip}",
            $"--Director:Health:VirtualServices:0:SorryServer={sorry.EndPoint}");

        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 2, ["rs2"] = 2 }, await Traffic.SendAsync(Vip, 4));
        Assert.DoesNotContain(sorry.EndPoint.ToString(), await LbadmProcess.RunOkAsync(director.SocketAddress, "-Ln"), StringComparison.Ordinal);

        // Both real servers die (listeners stopped): quorum is lost and the sorry server is added to the service.
        var mark = director.Output.LineCount;
        var port1 = rs1.EndPoint.Port;
        await StopAsync(rs1);
        await StopAsync(rs2);
        await director.Output.WaitForLineAsync(LogTimeout, mark, $"sorry server {sorry.EndPoint} added to TCP");
        var listing = await LbadmProcess.RunOkAsync(director.SocketAddress, "-Ln");
        Assert.Matches($@"  -> {Regex(sorry.EndPoint)}\s+Masq\s+1\s", listing);
        Assert.Matches($@"  -> {Regex(rs1.EndPoint)}\s+Masq\s+0\s", listing);
        Assert.Matches($@"  -> {Regex(rs2.EndPoint)}\s+Masq\s+0\s", listing);
        Assert.Equal(new Dictionary<string, int> { ["sorry"] = 4 }, await Traffic.SendAsync(Vip, 4));

        // rs1 is back: quorum regained, the sorry server removed, traffic to rs1 again.
        mark = director.Output.LineCount;
        Serve("rs1", "127.0.0.2", port1);
        await director.Output.WaitForLineAsync(LogTimeout, mark, $"sorry server {sorry.EndPoint} removed from TCP");
        listing = await LbadmProcess.RunOkAsync(director.SocketAddress, "-Ln");
        Assert.DoesNotContain(sorry.EndPoint.ToString(), listing, StringComparison.Ordinal);
        Assert.Matches($@"  -> {Regex(rs1.EndPoint)}\s+Masq\s+1\s", listing);
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 4 }, await Traffic.SendAsync(Vip, 4));
        Assert.Equal(4, sorry.Requests);

        // Runtime state only: the rules file never had the sorry server.
        Assert.Equal(rules, await File.ReadAllTextAsync(Path.Combine(WorkDirectory, "rules"), TestContext.Current.CancellationToken));
    }

    private static string Regex(IPEndPoint endpoint) => System.Text.RegularExpressions.Regex.Escape(endpoint.ToString());

    private void WriteRules(params IPEndPoint[] servers)
    {
        var lines = new List<string> { $"-A -t {Vip} -s rr" };
        lines.AddRange(servers.Select(s => $"-a -t {Vip} -r {s} -m -w 1"));
        File.WriteAllText(Path.Combine(WorkDirectory, "rules"), string.Join('\n', lines) + "\n");
    }
}
