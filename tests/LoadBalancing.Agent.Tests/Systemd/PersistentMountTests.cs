using LoadBalancing.Agent.Configuration;
using LoadBalancing.Agent.Tests.Fixtures;

namespace LoadBalancing.Agent.Tests.Systemd;

/// <summary>A persistent unit survives a restart of the box (its /etc/systemd/system is a host directory, so it outlives the box's tmpfs overlay).</summary>
public sealed class PersistentMountTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Apply_PersistentUnit_MountedAgainAfterBoxRestartAndRemovedOnRevert()
    {
        var etc = Directory.CreateTempSubdirectory("lbfa-etc-").FullName;
        try
        {
            await using var box = await SystemdBox.StartAsync($"{etc}:/etc/systemd/system");
            var options = new AgentOptions { SystemdBus = box.Bus, UnitRoot = box.Root, StateFile = Path.Combine(etc, "..", Path.GetFileName(etc) + ".state.json") };
            options.Mounts.Add(new SharedMountOptions { Type = "tmpfs", Export = "tmpfs", MountPoint = "/srv/lbf-persist", Options = "size=8m", Persistence = MountPersistence.Persistent });
            var unit = @"srv-lbf\x2dpersist.mount";

            await new RealServerAgent(options).ApplyAsync(Ct);
            var beforeRestart = await box.ExecAsync("/usr/bin/findmnt", "-n", "-o", "FSTYPE", "/srv/lbf-persist");
            await box.RestartAsync();
            var afterRestart = await box.ExecAsync("/usr/bin/findmnt", "-n", "-o", "FSTYPE", "/srv/lbf-persist");
            options.SystemdBus = box.Bus;
            options.UnitRoot = box.Root;
            var reverted = await new RealServerAgent(options).RevertAsync(Ct);
            var afterRevert = await box.ExecAsync("/usr/bin/findmnt", "/srv/lbf-persist");

            Assert.Equal((0, "tmpfs"), (beforeRestart.ExitCode, beforeRestart.Output.Trim()));
            Assert.Equal((0, "tmpfs"), (afterRestart.ExitCode, afterRestart.Output.Trim()));
            Assert.Contains(reverted, r => r.Contains(unit, StringComparison.Ordinal));
            Assert.NotEqual(0, afterRevert.ExitCode);
            Assert.False(File.Exists(Path.Combine(etc, unit)));
            Assert.False(File.Exists(Path.Combine(etc, "local-fs.target.wants", unit)));
        }
        finally
        {
            Directory.Delete(etc, recursive: true);
            File.Delete(etc + ".state.json");
        }
    }
}
