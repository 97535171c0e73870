using System.Diagnostics;
using LoadBalancing.Agent.Tests.Fixtures;

namespace LoadBalancing.Agent.Tests.Network;

/// <summary><c>lbagent run</c>: keeps the VIP on lo when someone removes it, and reverts on SIGTERM.</summary>
public sealed class AgentRunTests
{
    [Fact]
    public async Task Run_VipRemovedBySomeone_ReAddedAndRevertedOnStop()
    {
        await using var lab = await NetnsLab.StartAsync();
        var config = AgentCli.WriteConfig(lab.StateDir, new { Vips = new[] { new { Address = lab.Vip } }, StateFile = lab.StateFile, DriftInterval = "00:00:00.2" });
        var startInfo = new ProcessStartInfo("/usr/sbin/ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", lab.Server, "dotnet", Path.Combine(AppContext.BaseDirectory, "lbagent.dll"), "run", "--config", config })
        {
            startInfo.ArgumentList.Add(a);
        }

        // ip netns exec execs dotnet, so this is the agent's own PID.
        using var agent = Process.Start(startInfo)!;
        var output = agent.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            var applied = await Until(() => lab.LoopbackAddresses().Any(a => a.Address == lab.Vip));
            await NetnsLab.Ip("-n", lab.Server, "addr", "del", $"{lab.Vip}/32", "dev", "lo");
            var readded = await Until(() => lab.LoopbackAddresses().Any(a => a.Address == lab.Vip));
            Process.Start("/bin/kill", ["-TERM", agent.Id.ToString()])!.WaitForExit();
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await agent.WaitForExitAsync(exit.Token);

            Assert.True(applied, "run did not apply");
            Assert.True(readded, "run did not re-add the removed VIP");
            Assert.Equal(0, agent.ExitCode);
            Assert.Contains($"drift: address add {lab.Vip}/32 dev lo", await output);
            Assert.DoesNotContain(lab.LoopbackAddresses(), a => a.Address == lab.Vip);
            Assert.Equal("0", lab.ReadSysctl("all/arp_ignore"));
            Assert.False(File.Exists(lab.StateFile));
        }
        finally
        {
            if (!agent.HasExited)
            {
                agent.Kill();
            }
        }
    }

    // Polls a condition for at most 15 s (a bound, not a timing assertion).
    private static async Task<bool> Until(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }
}
