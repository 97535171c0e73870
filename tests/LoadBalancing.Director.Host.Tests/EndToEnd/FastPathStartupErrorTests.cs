using LoadBalancing.Director.Host.Tests.Fixtures;

namespace LoadBalancing.Director.Host.Tests.EndToEnd;

/// <summary>
/// A kernel fast path the kernel refuses stops <c>lb-director</c> with the kernel's reason in one line and a
/// non-zero exit, never a stack trace: native XDP on a namespace's loopback, which has no driver XDP.
/// </summary>
public sealed class FastPathStartupErrorTests
{
    [Fact]
    public async Task DrModeWithNativeXdpOnAnInterfaceWithoutIt_ClearErrorNoStackTrace()
    {
        RootLab.RequireOrSkip("lb-director in DR mode with native XDP on loopback", "ip");
        var ct = TestContext.Current.CancellationToken;
        var ns = "lbxe" + Random.Shared.Next(0x10000).ToString("x4");
        var directory = Directory.CreateTempSubdirectory("lbxe-").FullName;
        Assert.Equal(0, (await DrHostLab.RunAsync("ip", ct, "netns", "add", ns)).ExitCode);
        try
        {
            Assert.Equal(0, (await DrHostLab.RunAsync("ip", ct, "-n", ns, "link", "set", "lo", "up")).ExitCode);
            await File.WriteAllTextAsync(Path.Combine(directory, "rules"), "-A -t 127.0.0.1:80 -s rr\n-a -t 127.0.0.1:80 -r 127.0.0.2:80 -g\n", ct);

            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => DirectorProcess.StartInNamespaceAsync(ns, directory,
                "--Director:Forwarder=dr", "--Director:DirectRouting:InterfaceName=lo", "--Director:DirectRouting:Xdp=native"));

            Assert.Matches(@"lb-director exited with [12] during start", e.Message);
            Assert.Contains("Attaching the XDP fast path to lo in native mode failed", e.Message, StringComparison.Ordinal);
            Assert.Contains("use XdpMode.Generic", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await DrHostLab.RunAsync("ip", CancellationToken.None, "netns", "delete", ns);
            Directory.Delete(directory, recursive: true);
        }
    }
}
