namespace LoadBalancing.Health.Tests.Fixtures;

/// <summary>
/// nfs-ganesha + rpcbind in a network namespace of their own (Fixtures/nfsd.sh), with a unique short
/// namespace name and state directory; both are removed on dispose, also after a failed start.
/// </summary>
internal sealed class GaneshaServer : IAsyncDisposable
{
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "Fixtures", "nfsd.sh");

    private GaneshaServer(string netns, string stateDir)
    {
        Netns = netns;
        StateDir = stateDir;
    }

    public string Netns { get; }

    public string StateDir { get; }

    public string ExportPath => Path.Combine(StateDir, "export");

    public static async Task<GaneshaServer> StartAsync()
    {
        Requirements.RequireRootAndTools("/usr/bin/ganesha.nfsd", "/sbin/rpcbind", "/usr/sbin/showmount", "/usr/sbin/rpcinfo", "/usr/sbin/ip", "/usr/bin/unshare", "/usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so");

        // Interface-name-sized and unique per process and call: lbfh + pid + random.
        var netns = $"lbfh{Environment.ProcessId % 100000}x{Random.Shared.Next(1000)}";
        var state = Directory.CreateTempSubdirectory("lbfh-nfs-").FullName;
        var server = new GaneshaServer(netns, state);
        var (code, output) = await ProcessRunner.RunAsync("/bin/bash", Script, "start", netns, state);
        if (code != 0)
        {
            await server.DisposeAsync();
            Assert.Fail($"nfs-ganesha did not start: {output}");
        }

        return server;
    }

    public Task<(int ExitCode, string Output)> ExecAsync(string fileName, params string[] arguments)
        => ProcessRunner.RunAsync("/usr/sbin/ip", ["netns", "exec", Netns, fileName, .. arguments]);

    public async ValueTask DisposeAsync()
    {
        await ProcessRunner.RunAsync("/bin/bash", Script, "stop", Netns, StateDir);
        Directory.Delete(StateDir, recursive: true);
    }
}
