using System.Net;
using LoadBalancing.Director.Host.Tests.Fixtures;
using LoadBalancing.Grpc;
using LoadBalancing.Grpc.Registry;

namespace LoadBalancing.Director.Host.Tests.EndToEnd;

/// <summary>
/// The real <c>lb-director</c> with no Consul configured serves the embedded registry on its control socket: a real
/// server that registers there (as <c>lbagent run</c> does) shows up in the real <c>lbadm -Ln</c> and takes real
/// traffic once its heartbeat says passing, and leaves when it deregisters.
/// </summary>
public sealed class EmbeddedRegistryHostTests : HostTestBed
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public EmbeddedRegistryHostTests() => ServeThree();

    [Fact]
    public async Task Register_NoConsul_ShowsInLbadmAndTakesTrafficUntilDeregistered()
    {
        var cancel = TestContext.Current.CancellationToken;

        // No service in the rules file: the virtual service comes from the registry alone (on the same key the file
        // would win; docs/director.md).
        File.WriteAllText(Path.Combine(WorkDirectory, "rules"), "");
        await using var director = await DirectorProcess.StartAsync(WorkDirectory);
        using var channel = DirectorChannel.Create(director.SocketAddress);
        var registry = new Registry.RegistryClient(channel);

        var instances = Servers.Take(2).Select(s => new Instance
        {
            Id = $"lb-web-{s.EndPoint.Address}-{s.EndPoint.Port}",
            Name = "web",
            Address = s.EndPoint.Address.ToString(),
            Port = (uint)s.EndPoint.Port,
            Tags = { $"lb.vs=tcp:{Vip}" },
            Meta = { ["lb-forward"] = "masq", ["lb-scheduler"] = "rr" },
            WeightPassing = 2,
            TtlMs = 10_000,
        }).ToArray();
        foreach (var instance in instances)
        {
            await registry.RegisterAsync(new RegisterRequest { Instance = instance }, cancellationToken: cancel);
        }

        // Critical until the first heartbeat, as a Consul TTL check: listed with weight 0.
        var listing = await WaitForListingAsync(director, l => Servers.Take(2).All(s => l.Contains($"  -> {s.EndPoint}", StringComparison.Ordinal)));
        Assert.Contains($"TCP  {Vip} rr", listing, StringComparison.Ordinal);
        foreach (var server in Servers.Take(2))
        {
            Assert.Matches($@"  -> {Regex(server.EndPoint)}\s+Masq\s+0\s", listing);
        }

        foreach (var instance in instances)
        {
            await registry.HeartbeatAsync(new HeartbeatRequest { Id = instance.Id, Status = HealthStatus.Passing }, cancellationToken: cancel);
        }

        await WaitForListingAsync(director, l => Servers.Take(2).All(s => System.Text.RegularExpressions.Regex.IsMatch(l, $@"  -> {Regex(s.EndPoint)}\s+Masq\s+2\s")));
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 3, ["rs2"] = 3 }, await Traffic.SendAsync(Vip, 6));

        var reply = await registry.DeregisterAsync(new DeregisterRequest { Id = instances[1].Id }, cancellationToken: cancel);
        Assert.True(reply.Existed);
        await WaitForListingAsync(director, l => !l.Contains($"  -> {Servers[1].EndPoint}", StringComparison.Ordinal));
        Assert.Equal(new Dictionary<string, int> { ["rs1"] = 4 }, await Traffic.SendAsync(Vip, 4));
    }

    private static async Task<string> WaitForListingAsync(DirectorProcess director, Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            var listing = await LbadmProcess.RunOkAsync(director.SocketAddress, "-Ln");
            if (condition(listing))
            {
                return listing;
            }

            Assert.True(DateTime.UtcNow < deadline, $"lbadm -Ln never showed the expected change; last listing:\n{listing}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    private static string Regex(IPEndPoint endPoint) => System.Text.RegularExpressions.Regex.Escape(endPoint.ToString());
}
