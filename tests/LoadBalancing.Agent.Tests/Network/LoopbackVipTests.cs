using LoadBalancing.Agent.Tests.Fixtures;

namespace LoadBalancing.Agent.Tests.Network;

/// <summary>The real lbagent in a network namespace of its own, seen from outside with ip -j, /proc/sys and arping from a peer.</summary>
public sealed class LoopbackVipTests
{
    [Fact]
    public async Task Apply_FreshNamespace_VipOnLoAndArpSysctlsSet()
    {
        await using var lab = await NetnsLab.StartAsync();
        var config = AgentCli.WriteConfig(lab.StateDir, new { Vips = new[] { new { Address = lab.Vip }, new { Address = "2001:db8:78::100" } }, StateFile = lab.StateFile });

        var (code, output) = await lab.AgentAsync("apply", config);

        Assert.True(code == 0, output);
        var addresses = lab.LoopbackAddresses();
        Assert.Contains((lab.Vip, 32, "host"), addresses);
        Assert.Contains(("2001:db8:78::100", 128, "global"), addresses);
        foreach (var iface in new[] { "all", "lo", "eth0" })
        {
            Assert.Equal("1", lab.ReadSysctl($"{iface}/arp_ignore"));
            Assert.Equal("2", lab.ReadSysctl($"{iface}/arp_announce"));
        }
    }

    [Fact]
    public async Task Apply_Twice_SecondRunChangesNothing()
    {
        await using var lab = await NetnsLab.StartAsync();
        var config = AgentCli.WriteConfig(lab.StateDir, new { Vips = new[] { new { Address = lab.Vip } }, StateFile = lab.StateFile });
        var first = await lab.AgentAsync("apply", config);
        var stateAfterFirst = File.ReadAllText(lab.StateFile);
        var addressesAfterFirst = lab.LoopbackAddresses();

        var (code, output) = await lab.AgentAsync("apply", config);

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.True(code == 0, output);
        Assert.StartsWith("no changes", output);
        Assert.Equal(stateAfterFirst, File.ReadAllText(lab.StateFile));
        Assert.Equal(addressesAfterFirst, lab.LoopbackAddresses());
    }

    [Fact]
    public async Task Plan_FreshNamespace_ListsChangesAndChangesNothing()
    {
        await using var lab = await NetnsLab.StartAsync();
        var config = AgentCli.WriteConfig(lab.StateDir, new { Vips = new[] { new { Address = lab.Vip } }, StateFile = lab.StateFile });

        var (code, output) = await lab.AgentAsync("plan", config);

        Assert.True(code == 0, output);
        Assert.Contains($"address add {lab.Vip}/32 dev lo", output);
        Assert.Contains("sysctl net.ipv4.conf.eth0.arp_ignore: 0 -> 1", output);
        Assert.DoesNotContain(lab.LoopbackAddresses(), a => a.Address == lab.Vip);
        Assert.Equal("0", lab.ReadSysctl("all/arp_ignore"));
        Assert.False(File.Exists(lab.StateFile));
    }

    [Fact]
    public async Task Apply_PeerArpingsVip_NoAnswerAfterApplyAnswerAgainAfterRevert()
    {
        await using var lab = await NetnsLab.StartAsync();

        // The VIP was configured by hand before the agent: answered (no suppression yet), and revert must keep it.
        await NetnsLab.Ip("-n", lab.Server, "addr", "add", $"{lab.Vip}/32", "dev", "lo");
        var config = AgentCli.WriteConfig(lab.StateDir, new { Vips = new[] { new { Address = lab.Vip } }, StateFile = lab.StateFile });
        var before = await lab.PeerGetsArpReplyAsync();

        var apply = await lab.AgentAsync("apply", config);
        var afterApply = await lab.PeerGetsArpReplyAsync();
        var revert = await lab.AgentAsync("revert", config);
        var afterRevert = await lab.PeerGetsArpReplyAsync();

        Assert.True(apply.ExitCode == 0, apply.Output);
        Assert.True(revert.ExitCode == 0, revert.Output);
        Assert.True(before, "a fresh namespace answers ARP for a VIP on lo");
        Assert.False(afterApply, "arp_ignore=1 must stop the real server answering for the VIP");
        Assert.True(afterRevert, "after revert the previous behaviour is back");
        Assert.Contains((lab.Vip, 32, "global"), lab.LoopbackAddresses());
    }

    [Fact]
    public async Task Revert_AfterApply_RestoresPreviousSysctlValuesAndRemovesAddedVip()
    {
        await using var lab = await NetnsLab.StartAsync();
        lab.WriteSysctl("eth0/arp_announce", "1");
        lab.WriteSysctl("lo/arp_ignore", "2");
        var config = AgentCli.WriteConfig(lab.StateDir, new { Vips = new[] { new { Address = lab.Vip } }, StateFile = lab.StateFile });

        var apply = await lab.AgentAsync("apply", config);
        var announceApplied = lab.ReadSysctl("eth0/arp_announce");
        var (code, output) = await lab.AgentAsync("revert", config);

        Assert.True(apply.ExitCode == 0, apply.Output);
        Assert.True(code == 0, output);
        Assert.Equal("2", announceApplied);
        Assert.Equal("1", lab.ReadSysctl("eth0/arp_announce"));
        Assert.Equal("2", lab.ReadSysctl("lo/arp_ignore"));          // already strict enough: never touched
        Assert.Equal("0", lab.ReadSysctl("all/arp_ignore"));
        Assert.Equal("0", lab.ReadSysctl("all/arp_announce"));
        Assert.DoesNotContain(lab.LoopbackAddresses(), a => a.Address == lab.Vip);
        Assert.False(File.Exists(lab.StateFile));
    }

    [Fact]
    public async Task Apply_KilledAfterStateWrittenAndFirstChange_RerunEndsConsistentAndRevertRestoresOriginals()
    {
        await using var lab = await NetnsLab.StartAsync();
        lab.WriteSysctl("all/arp_announce", "1");
        var config = AgentCli.WriteConfig(lab.StateDir, new { Vips = new[] { new { Address = lab.Vip } }, StateFile = lab.StateFile });

        // SIGKILL after the state file is written and the first sysctl (all/arp_ignore) changed.
        var crashed = await lab.AgentAsync("apply", config, new Dictionary<string, string> { ["LBAGENT_TEST_KILL_AFTER_STEP"] = "1" });
        var ignoreAfterCrash = lab.ReadSysctl("all/arp_ignore");
        var announceAfterCrash = lab.ReadSysctl("all/arp_announce");
        var rerun = await lab.AgentAsync("apply", config);
        var addressesAfterRerun = lab.LoopbackAddresses();
        var ignoreAfterRerun = lab.ReadSysctl("all/arp_ignore");
        var announceAfterRerun = lab.ReadSysctl("all/arp_announce");
        var revert = await lab.AgentAsync("revert", config);

        Assert.Equal(137, crashed.ExitCode);                       // 128 + SIGKILL
        Assert.Equal("1", ignoreAfterCrash);
        Assert.Equal("1", announceAfterCrash);                     // the crash came before this one
        Assert.True(rerun.ExitCode == 0, rerun.Output);
        Assert.Contains((lab.Vip, 32, "host"), addressesAfterRerun);
        Assert.Equal("1", ignoreAfterRerun);
        Assert.Equal("2", announceAfterRerun);
        Assert.True(revert.ExitCode == 0, revert.Output);
        Assert.Equal("0", lab.ReadSysctl("all/arp_ignore"));       // recorded before the crash, kept by the rerun
        Assert.Equal("1", lab.ReadSysctl("all/arp_announce"));
        Assert.DoesNotContain(lab.LoopbackAddresses(), a => a.Address == lab.Vip);
    }

    [Fact]
    public async Task Apply_TunVipWithoutIpip_FailsWithClearMessageAndNonZeroExit()
    {
        await using var lab = await NetnsLab.StartAsync();
        if (Directory.Exists("/sys/module/ipip"))
        {
            Assert.Skip("this kernel has ipip; the test is about kernels without it");
        }

        var config = AgentCli.WriteConfig(lab.StateDir, new { Vips = new[] { new { Address = lab.Vip, Method = "Tun" } }, StateFile = lab.StateFile });

        var (code, output) = await lab.AgentAsync("apply", config);

        Assert.Equal(1, code);
        Assert.Contains("uses TUN forwarding, but this kernel has no tunl0 device", output);
        Assert.DoesNotContain("   at ", output);
        Assert.False(File.Exists(lab.StateFile));
    }
}
