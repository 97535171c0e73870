using LoadBalancing.Agent.Configuration;
using LoadBalancing.Agent.Systemd;
using LoadBalancing.Agent.Tests.Fixtures;

namespace LoadBalancing.Agent.Tests.Systemd;

/// <summary>Mount units through a real systemd (in an isolated box) over its real D-Bus system bus.</summary>
public sealed class SharedMountTests : IAsyncLifetime
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private readonly string _scratch = Directory.CreateTempSubdirectory("lbfa-sd-").FullName;
    private SystemdBox? _box;

    private SystemdBox Box => _box!;

    public async ValueTask InitializeAsync() => _box = await SystemdBox.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_box is not null)
        {
            await _box.DisposeAsync();
        }

        Directory.Delete(_scratch, recursive: true);
    }

    [Fact]
    public async Task Apply_TransientTmpfs_MountedInsideBoxAndStoppedCleanlyOnRevert()
    {
        var options = Options(new SharedMountOptions { Type = "tmpfs", Export = "tmpfs", MountPoint = "/mnt/lbf-agent-t", Options = "size=16m,mode=0755" });
        var agent = new RealServerAgent(options);

        var plan = await agent.ApplyAsync(Ct);
        var (inBox, fstype) = await Box.ExecAsync("/usr/bin/findmnt", "-n", "-o", "FSTYPE", "/mnt/lbf-agent-t");
        var (onHost, _) = await ProcessRunner.RunAsync("/usr/bin/findmnt", "/mnt/lbf-agent-t");
        var reverted = await agent.RevertAsync(Ct);
        var (afterRevert, _) = await Box.ExecAsync("/usr/bin/findmnt", "/mnt/lbf-agent-t");
        await using var systemd = await SystemdManager.ConnectAsync(Box.Bus, Ct);
        var status = await systemd.GetUnitStatusAsync(@"mnt-lbf\x2dagent\x2dt.mount");

        Assert.Single(plan.Changes);
        Assert.Equal(0, inBox);
        Assert.Equal("tmpfs", fstype.Trim());
        Assert.NotEqual(0, onHost);
        Assert.Single(reverted);
        Assert.NotEqual(0, afterRevert);
        Assert.False(status.IsActive || status.IsFailed, status.ToString());
    }

    [Fact]
    public async Task Apply_NfsOnKernelWithoutNfsClient_FailsWithSystemdsReasonTwice()
    {
        var options = Options(new SharedMountOptions { Type = "nfs", Server = "127.0.0.1", Export = "/export", MountPoint = "/mnt/lbf-agent-nfs", Options = "rw,nfsvers=4.1,hard,timeo=600,_netdev", CheckExport = false });
        var agent = new RealServerAgent(options);

        var first = await Assert.ThrowsAsync<AgentException>(() => agent.ApplyAsync(Ct));

        // The failed transient unit stays loaded; the second apply must reset it rather than fail with UnitExists.
        var second = await Assert.ThrowsAsync<AgentException>(() => agent.ApplyAsync(Ct));
        await agent.RevertAsync(Ct);
        await using var systemd = await SystemdManager.ConnectAsync(Box.Bus, Ct);
        var afterRevert = await systemd.GetUnitStatusAsync(@"mnt-lbf\x2dagent\x2dnfs.mount");

        foreach (var error in new[] { first.Message, second.Message })
        {
            Assert.Contains("systemd job failed", error);
            Assert.Contains("ActiveState=failed", error);
            Assert.Contains("Result=exit-code", error);
            Assert.Contains("mount exited with status 32 (mount failure)", error);
            Assert.DoesNotContain("no job result", error);
        }

        Assert.Contains("this kernel has no NFS client", first.Message);
        Assert.Equal("not-found", afterRevert.LoadState);
    }

    [Fact]
    public async Task PlanAndApply_ExportOnRealGanesha_CheckedBeforeSystemdIsAsked()
    {
        await using var ganesha = await GaneshaServer.StartAsync();
        var present = AgentCli.WriteConfig(_scratch, new
        {
            Mounts = new[] { new { Type = "nfs", Server = "127.0.0.1", Export = ganesha.ExportPath, MountPoint = "/mnt/lbf-agent-g", Options = "ro,nfsvers=3" } },
            SystemdBus = Box.Bus,
            StateFile = Path.Combine(_scratch, "g.json"),
        });
        var absent = AgentCli.WriteConfig(_scratch, new
        {
            Mounts = new[] { new { Type = "nfs", Server = "127.0.0.1", Export = "/nope", MountPoint = "/mnt/lbf-agent-n", Options = "ro" } },
            SystemdBus = Box.Bus,
            StateFile = Path.Combine(_scratch, "n.json"),
        });

        // The CLI runs in ganesha's namespace (its server is on 127.0.0.1 there); the bus is reached by path.
        var plan = await AgentCli.RunAsync(ganesha.Netns, "plan", present);
        var apply = await AgentCli.RunAsync(ganesha.Netns, "apply", present);
        var revert = await AgentCli.RunAsync(ganesha.Netns, "revert", present);
        var missing = await AgentCli.RunAsync(ganesha.Netns, "apply", absent);
        await using var systemd = await SystemdManager.ConnectAsync(Box.Bus, Ct);
        var missingUnit = await systemd.GetUnitStatusAsync(@"mnt-lbf\x2dagent\x2dn.mount");

        Assert.True(plan.ExitCode == 0, plan.Output);
        Assert.Contains($"= export 127.0.0.1:{ganesha.ExportPath} is available", plan.Output);
        Assert.Contains($"+ mount 127.0.0.1:{ganesha.ExportPath} on /mnt/lbf-agent-g type nfs", plan.Output);
        Assert.Equal(1, apply.ExitCode);
        Assert.Contains("Result=exit-code", apply.Output);
        Assert.DoesNotContain("   at ", apply.Output);
        Assert.True(revert.ExitCode == 0, revert.Output);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("export 127.0.0.1:/nope is not available (export /nope not listed", missing.Output);
        Assert.Equal("not-found", missingUnit.LoadState);
        Assert.False(File.Exists(Path.Combine(_scratch, "n.json")));
    }

    private AgentOptions Options(SharedMountOptions mount)
    {
        var options = new AgentOptions { SystemdBus = Box.Bus, UnitRoot = Box.Root, StateFile = Path.Combine(_scratch, $"{Guid.NewGuid():N}.json"), MountTimeout = TimeSpan.FromSeconds(20) };
        options.Mounts.Add(mount);
        return options;
    }
}
