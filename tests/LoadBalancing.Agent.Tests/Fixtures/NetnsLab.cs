using System.Text.Json;

namespace LoadBalancing.Agent.Tests.Fixtures;

/// <summary>
/// A real server namespace and a peer namespace joined by a veth pair (rs: eth0 10.78.S.21/24, peer: eth0 10.78.S.50/24),
/// with unique short names; both namespaces (and so the veth) are deleted on dispose.
/// </summary>
internal sealed class NetnsLab : IAsyncDisposable
{
    private NetnsLab(string tag, int subnet)
    {
        Server = $"{tag}r";
        Peer = $"{tag}p";
        Subnet = subnet;
        StateDir = Directory.CreateTempSubdirectory("lbfa-").FullName;
    }

    public string Server { get; }

    public string Peer { get; }

    public int Subnet { get; }

    public string StateDir { get; }

    public string Vip => $"10.78.{Subnet}.100";

    public string StateFile => Path.Combine(StateDir, "state.json");

    public static async Task<NetnsLab> StartAsync()
    {
        Requirements.RequireRootAndTools("/usr/sbin/ip", "/usr/sbin/arping", "/usr/bin/dotnet");
        var tag = $"lbfa{Environment.ProcessId % 10000}x{Random.Shared.Next(10000)}";
        var lab = new NetnsLab(tag, Random.Shared.Next(1, 250));
        try
        {
            await Ip("netns", "add", lab.Server);
            await Ip("netns", "add", lab.Peer);
            await Ip("-n", lab.Server, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", lab.Peer);
            foreach (var (ns, host) in new[] { (lab.Server, 21), (lab.Peer, 50) })
            {
                await Ip("-n", ns, "link", "set", "lo", "up");
                await Ip("-n", ns, "addr", "add", $"10.78.{lab.Subnet}.{host}/24", "dev", "eth0");
                await Ip("-n", ns, "link", "set", "eth0", "up");
            }
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }

        return lab;
    }

    public static async Task Ip(params string[] arguments)
    {
        var (code, output) = await ProcessRunner.RunAsync("/usr/sbin/ip", arguments);
        Assert.True(code == 0, $"ip {string.Join(' ', arguments)}: {output}");
    }

    public string ReadSysctl(string name) => RunIn(Server, "/bin/cat", $"/proc/sys/net/ipv4/conf/{name}").Trim();

    public void WriteSysctl(string name, string value) => RunIn(Server, "/bin/sh", "-c", $"echo {value} > /proc/sys/net/ipv4/conf/{name}");

    /// <summary>(address, prefixlen, scope) of every address on lo, from <c>ip -j addr show dev lo</c>.</summary>
    public List<(string Address, int Prefix, string Scope)> LoopbackAddresses()
    {
        using var json = JsonDocument.Parse(RunIn(Server, "/usr/sbin/ip", "-j", "addr", "show", "dev", "lo"));
        return json.RootElement[0].GetProperty("addr_info").EnumerateArray()
            .Select(a => (a.GetProperty("local").GetString()!, a.GetProperty("prefixlen").GetInt32(), a.GetProperty("scope").GetString()!))
            .ToList();
    }

    /// <summary>True when the server answers who-has VIP on the wire (Habets arping exits 0 on replies, 1 on none).</summary>
    public async Task<bool> PeerGetsArpReplyAsync()
    {
        var (code, output) = await ProcessRunner.RunAsync("/usr/sbin/ip", "netns", "exec", Peer, "/usr/sbin/arping", "-c", "2", "-w", "1", "-i", "eth0", Vip);
        Assert.True(code is 0 or 1, $"arping failed to run: {output}");
        return code == 0;
    }

    public Task<(int ExitCode, string Output)> AgentAsync(string verb, string config, IDictionary<string, string>? environment = null)
        => AgentCli.RunAsync(Server, verb, config, environment);

    public async ValueTask DisposeAsync()
    {
        await ProcessRunner.RunAsync("/usr/sbin/ip", "netns", "del", Server);
        await ProcessRunner.RunAsync("/usr/sbin/ip", "netns", "del", Peer);
        Directory.Delete(StateDir, recursive: true);
    }

    private static string RunIn(string netns, string fileName, params string[] arguments)
    {
        var (code, output) = ProcessRunner.RunAsync("/usr/sbin/ip", ["netns", "exec", netns, fileName, .. arguments]).GetAwaiter().GetResult();
        Assert.True(code == 0, $"{fileName} {string.Join(' ', arguments)} in {netns}: {output}");
        return output;
    }
}
