using System.Runtime.Versioning;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

/// <summary>
/// tshark on the lab's own interfaces (director and client namespaces) while the DR forwarder serves real curl
/// requests: what LVS-DR means on the wire.
/// </summary>
[SupportedOSPlatform("linux")] // NetLab.RequireOrSkip skips elsewhere before any Linux-only call
public sealed class DirectRoutingWireTests
{
    private const string DirectorMac = "02:77:00:00:00:02";
    private const string ClientMac = "02:77:00:00:00:0a";
    private static readonly string[] RealServerMacs = ["02:77:00:00:00:15", "02:77:00:00:00:16", "02:77:00:00:00:17"];

    [Theory]
    [InlineData("dr")]
    [InlineData("dr-tc")] // the frames after each SYN are forwarded by the tcx classifier, in the kernel
    public async Task Forwarder_OnTheWire_RepliesBypassTheDirectorAndForwardedFramesDifferOnlyInTheMacs(string mode)
    {
        NetLab.RequireOrSkip();
        if (NetLab.FindTool("tshark") is null)
        {
            NetLab.SkipOrFail("'tshark' is not installed (run tests/install-deps.sh)");
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = cts.Token;
        await using var lab = await NetLab.StartAsync(realServers: 3, ct);
        await using var host = await ForwarderScenarioTests.StartHostAsync(lab, mode, ct, "10.77.0.21:1", "10.77.0.22:1", "10.77.0.23:1");

        const string filter = $"tcp port 80 and host {NetLab.Vip}";
        await using var atDirector = await TsharkCapture.StartAsync(lab.DirectorNamespace, "eth0", filter, Path.Combine(lab.ScratchDirectory, "director.pcap"), ct);
        await using var atClient = await TsharkCapture.StartAsync(lab.ClientNamespace, "eth0", filter, Path.Combine(lab.ScratchDirectory, "client.pcap"), ct);

        await Task.Delay(500, ct); // dumpcap reports "Capturing on" a moment before its filter sees frames
        var split = await lab.CurlManyAsync(12, parallel: 1, ct);
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 4, ["rs2"] = 4, ["rs3"] = 4 }, split);
        await Task.Delay(300, ct); // let the last FIN/ACK frames reach the captures
        await atDirector.StopAsync(ct);
        await atClient.StopAsync(ct);

        // (a) At the client: requests go to the director's MAC; every reply comes from the VIP with a real server's MAC,
        // from all three servers, never from the director. At the director: no reply ever arrives.
        const string fields = "eth.src eth.dst ip.src ip.dst";
        var client = await atClient.FieldsAsync(ct, fields.Split(' '));
        var requests = client.Where(f => f[2] == "10.77.0.10" && f[3] == NetLab.Vip).ToList();
        var replies = client.Where(f => f[2] == NetLab.Vip && f[3] == "10.77.0.10").ToList();
        Assert.True(requests.Count >= 12 * 4, $"{requests.Count} request frames captured at the client");
        Assert.True(replies.Count >= 12 * 3, $"{replies.Count} reply frames captured at the client");
        Assert.All(requests, f => Assert.Equal((ClientMac, DirectorMac), (f[0], f[1])));
        Assert.All(replies, f => Assert.Equal(ClientMac, f[1]));
        Assert.Equal(RealServerMacs, replies.Select(f => f[0]).Distinct().Order());

        var director = await atDirector.FieldsAsync(ct, fields.Split(' '));
        Assert.DoesNotContain(director, f => f[2] == NetLab.Vip);

        // (b) At the director, every frame received from the client leaves again byte for byte the same from the
        // EtherType on (IP header, checksums, TCP header, payload), with only the MACs changed: destination a real
        // server, source the director.
        var frames = atDirector.ReadFrames();
        var received = frames.Where(f => Mac(f, 0) == DirectorMac && Mac(f, 6) == ClientMac).ToList();
        var forwarded = frames.Where(f => Mac(f, 6) == DirectorMac).ToList();
        // (tshark may miss the first frames right after it reports "Capturing on", so the client's count is a floor.)
        Assert.InRange(received.Count, requests.Count, requests.Count + 4);
        Assert.Equal(received.Count, forwarded.Count);
        var unmatched = forwarded.ToList();
        foreach (var frame in received)
        {
            var twin = unmatched.FindIndex(f => f.AsSpan(12).SequenceEqual(frame.AsSpan(12)));
            Assert.True(twin >= 0, $"no forwarded copy of received frame {Convert.ToHexString(frame)}");
            Assert.Contains(Mac(unmatched[twin], 0), RealServerMacs);
            unmatched.RemoveAt(twin);
        }

        Assert.Empty(unmatched);
    }

    private static string Mac(byte[] frame, int offset) => string.Join(':', frame.AsSpan(offset, 6).ToArray().Select(b => b.ToString("x2")));
}
