using System.Net;
using Grpc.Core;
using LoadBalancing.Director.Host.Tests.Fixtures;
using LoadBalancing.Grpc;
using LoadBalancing.Grpc.Control;

namespace LoadBalancing.Director.Host.Tests.EndToEnd;

/// <summary>
/// The real <c>lb-director</c> process, driven only through the real <c>lbadm</c> process and the gRPC API, forwarding
/// real HTTP traffic through its userspace proxy on 127.0.0.1 to real servers on 127.0.0.2-4.
/// </summary>
public sealed class DirectorHostTests : HostTestBed
{
    private static readonly TimeSpan LogTimeout = TimeSpan.FromSeconds(30);

    public DirectorHostTests() => ServeThree();

    [Fact]
    public async Task AddServer_Live_TakesTraffic()
    {
        WriteRules(1);
        await using var director = await DirectorProcess.StartAsync(WorkDirectory);
        var before = await Traffic.SendAsync(Vip, 6);
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 6 }, before);

        await LbadmProcess.RunOkAsync(director.SocketAddress, $"-a -t {Vip} -r {Servers[1].EndPoint} -m -w 1");

        Assert.Contains($"  -> {Servers[1].EndPoint}", await LbadmProcess.RunOkAsync(director.SocketAddress, "-Ln"), StringComparison.Ordinal);
        var after = await Traffic.SendAsync(Vip, 10);
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 5, ["rs2"] = 5 }, after);
        Assert.Equal(5, Servers[1].Requests);
    }

    [Fact]
    public async Task EditServer_WeightZero_NewConnectionsAvoidIt()
    {
        WriteRules(3);
        await using var director = await DirectorProcess.StartAsync(WorkDirectory);
        var before = await Traffic.SendAsync(Vip, 9);
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 3, ["rs2"] = 3, ["rs3"] = 3 }, before);

        await LbadmProcess.RunOkAsync(director.SocketAddress, $"-e -t {Vip} -r {Servers[1].EndPoint} -m -w 0");

        var listing = await LbadmProcess.RunOkAsync(director.SocketAddress, "-Ln");
        Assert.Matches($@"  -> {Regex(Servers[1].EndPoint)}\s+Masq\s+0\s", listing);
        var after = await Traffic.SendAsync(Vip, 20);
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 10, ["rs3"] = 10 }, after);
        Assert.Equal(3, Servers[1].Requests);
    }

    [Fact]
    public async Task Restart_AfterLbadmChanges_SameState()
    {
        WriteRules(1);
        var director = await DirectorProcess.StartAsync(WorkDirectory);
        string listing, saved, timeouts;
        try
        {
            await LbadmProcess.RunOkAsync(director.SocketAddress, $"-a -t {Vip} -r {Servers[1].EndPoint} -m -w 3 -x 100 -y 50");
            await LbadmProcess.RunOkAsync(director.SocketAddress, $"-a -t {Vip} -r {Servers[2].EndPoint} -m -w 0");
            await LbadmProcess.RunOkAsync(director.SocketAddress, $"-E -t {Vip} -s wrr");
            await LbadmProcess.RunOkAsync(director.SocketAddress, $"-A -u 127.0.0.1:{Vip.Port} -s sh");
            await LbadmProcess.RunOkAsync(director.SocketAddress, "--set 1000 60 30");
            listing = await LbadmProcess.RunOkAsync(director.SocketAddress, "-Ln");
            saved = await LbadmProcess.RunOkAsync(director.SocketAddress, "-Sn");
            timeouts = await LbadmProcess.RunOkAsync(director.SocketAddress, "-L --timeout");
            Assert.Equal(0, await director.StopAsync());
        }
        finally
        {
            await director.DisposeAsync();
        }

        await using var restarted = await DirectorProcess.StartAsync(WorkDirectory);

        Assert.Equal(listing, await LbadmProcess.RunOkAsync(restarted.SocketAddress, "-Ln"));
        Assert.Equal(saved, await LbadmProcess.RunOkAsync(restarted.SocketAddress, "-Sn"));
        Assert.Equal("Timeout (tcp tcpfin udp): 1000 60 30\n", await LbadmProcess.RunOkAsync(restarted.SocketAddress, "-L --timeout"));
        Assert.Equal(timeouts, await LbadmProcess.RunOkAsync(restarted.SocketAddress, "-L --timeout"));

        // wrr 1:3, rs3 quiesced: 8 requests go 2/6.
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 2, ["rs2"] = 6 }, await Traffic.SendAsync(Vip, 8));
    }

    [Fact]
    public async Task Reload_BrokenRulesFile_OldTableKeepsServing()
    {
        WriteRules(2);
        await using var director = await DirectorProcess.StartAsync(WorkDirectory);
        var listing = await LbadmProcess.RunOkAsync(director.SocketAddress, "-Ln");

        // File change (watched, debounced): a syntax error on line 3.
        var mark = director.Output.LineCount;
        await File.WriteAllTextAsync(director.RulesFile, $"-A -t {Vip} -s rr\n-a -t {Vip} -r {Servers[0].EndPoint} -m\n-a -t {Vip} -r\n", TestContext.Current.CancellationToken);
        var logged = await director.Output.WaitForLineAsync(LogTimeout, mark, "rejected (file changed); the running table stays", "line 3");
        Assert.Contains(director.RulesFile, logged, StringComparison.Ordinal);

        // SIGHUP on the same broken file: rejected again, same table.
        mark = director.Output.LineCount;
        director.Reload();
        await director.Output.WaitForLineAsync(LogTimeout, mark, "rejected (SIGHUP); the running table stays", "line 3");

        Assert.False(director.HasExited);
        Assert.Equal(listing, await LbadmProcess.RunOkAsync(director.SocketAddress, "-Ln"));
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 3, ["rs2"] = 3 }, await Traffic.SendAsync(Vip, 6));

        // An operator change while the file is broken is refused (it would overwrite the file), naming the line.
        var refused = await LbadmProcess.RunAsync(director.SocketAddress, $"-a -t {Vip} -r {Servers[2].EndPoint} -m");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("line 3", refused.Stderr, StringComparison.Ordinal);

        // A good file is applied on the next change.
        mark = director.Output.LineCount;
        WriteRules(3);
        await director.Output.WaitForLineAsync(LogTimeout, mark, "reloaded (file changed): 1 services");
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 2, ["rs2"] = 2, ["rs3"] = 2 }, await Traffic.SendAsync(Vip, 6));
    }

    [Fact]
    public async Task Api_TcpWithoutToken_UnauthenticatedAndNothingChanges()
    {
        WriteRules(1);
        await using var director = await DirectorProcess.StartAsync(WorkDirectory, "--Director:ControlTcpEndpoint=127.0.0.1:0", $"--Director:BearerToken={DirectorProcess.Token}");
        var tcp = director.TcpAddress!;
        Assert.StartsWith("http://127.0.0.1:", tcp, StringComparison.Ordinal);
        var listing = await LbadmProcess.RunOkAsync(director.SocketAddress, "-Ln");

        // lbadm over TCP without a token.
        var mark = director.Output.LineCount;
        var refused = await LbadmProcess.RunAsync(tcp, $"-a -t {Vip} -r {Servers[1].EndPoint} -m");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("not authorized", refused.Stderr, StringComparison.Ordinal);
        await director.Output.WaitForLineAsync(LogTimeout, mark, "AddServer", "refused: no bearer token");

        // The gRPC API directly: no token, then a wrong one.
        foreach (var token in new string?[] { null, "wrong-token-wrong-token" })
        {
            using var channel = DirectorChannel.Create(tcp, token);
            var client = new Grpc.Control.Director.DirectorClient(channel);
            var e = await Assert.ThrowsAsync<RpcException>(async () => await client.ClearAsync(new ClearRequest(), cancellationToken: TestContext.Current.CancellationToken));
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
            e = await Assert.ThrowsAsync<RpcException>(async () => await client.ListAsync(new ListRequest(), cancellationToken: TestContext.Current.CancellationToken));
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        }

        Assert.Equal(listing, await LbadmProcess.RunOkAsync(director.SocketAddress, "-Ln"));
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 4 }, await Traffic.SendAsync(Vip, 4));

        // With the token the same call is accepted: the refusal above was about credentials only.
        var accepted = await LbadmProcess.RunAsync(tcp, $"-a -t {Vip} -r {Servers[1].EndPoint} -m", DirectorProcess.Token);
        Assert.Equal(0, accepted.ExitCode);
        Assert.Contains($"  -> {Servers[1].EndPoint}", await LbadmProcess.RunOkAsync(director.SocketAddress, "-Ln"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthVirtualServicesEntry_ForAServiceNotInTheTable_WarnsOnceWhileItIsMissing()
    {
        WriteRules(1);
        var missing = $"127.0.0.9:{Vip.Port}";
        await using var director = await DirectorProcess.StartAsync(WorkDirectory,
            $"--Director:Health:VirtualServices:0:Service=-t {Vip}", "--Director:Health:VirtualServices:0:Quorum=1",
            $"--Director:Health:VirtualServices:1:Service=-t {missing}", "--Director:Health:VirtualServices:1:Quorum=1");

        await director.Output.WaitForLineAsync(LogTimeout, 0, $"Director:Health:VirtualServices:1:Service '-t {missing}' names no virtual service");

        // The service that exists is not warned about; the missing one once, also across later changes, until it exists.
        await LbadmProcess.RunOkAsync(director.SocketAddress, $"-a -t {Vip} -r {Servers[1].EndPoint} -m -w 1");
        await LbadmProcess.RunOkAsync(director.SocketAddress, $"-A -t {missing} -s rr");
        var mark = director.Output.LineCount;
        await LbadmProcess.RunOkAsync(director.SocketAddress, $"-D -t {missing}");
        await director.Output.WaitForLineAsync(LogTimeout, mark, $"Director:Health:VirtualServices:1:Service '-t {missing}' names no virtual service");
        var text = director.Output.Text;
        Assert.DoesNotContain("VirtualServices:0:Service", text, StringComparison.Ordinal);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(text, "names no virtual service"));
    }

    private static string Regex(IPEndPoint endpoint) => System.Text.RegularExpressions.Regex.Escape(endpoint.ToString());

    private void WriteRules(int servers)
    {
        var lines = new List<string> { $"-A -t {Vip} -s rr" };
        lines.AddRange(Servers.Take(servers).Select(s => $"-a -t {Vip} -r {s.EndPoint} -m -w 1"));
        File.WriteAllText(Path.Combine(WorkDirectory, "rules"), string.Join('\n', lines) + "\n");
    }
}
