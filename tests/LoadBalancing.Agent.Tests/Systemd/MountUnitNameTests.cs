using LoadBalancing.Agent.Systemd;
using LoadBalancing.Agent.Tests.Fixtures;

namespace LoadBalancing.Agent.Tests.Systemd;

public sealed class MountUnitNameTests
{
    // Expected names are systemd-escape --path --suffix=mount output (systemd 252), checked again below against the tool.
    [Theory]
    [InlineData("/srv/www", "srv-www.mount")]
    [InlineData("/mnt/lbf-test", @"mnt-lbf\x2dtest.mount")]
    [InlineData("//srv//shared data/", @"srv-shared\x20data.mount")]
    [InlineData("/", "-.mount")]
    [InlineData("/.hidden/x", @"\x2ehidden-x.mount")]
    [InlineData("/mnt/a_b:c.d", "mnt-a_b:c.d.mount")]
    [InlineData("/mnt/ü", @"mnt-\xc3\xbc.mount")]
    public void FromPath_Path_MatchesSystemdEscape(string path, string expected)
        => Assert.Equal(expected, MountUnitName.FromPath(path));

    [Theory]
    [InlineData("/srv/www")]
    [InlineData("/mnt/lbf-test")]
    [InlineData("//srv//shared data/")]
    [InlineData("/.hidden/x")]
    [InlineData("/mnt/ü")]
    public async Task FromPath_Path_EqualsRealSystemdEscape(string path)
    {
        Requirements.RequireRootAndTools("/usr/bin/systemd-escape");

        var (code, output) = await ProcessRunner.RunAsync("/usr/bin/systemd-escape", "--path", "--suffix=mount", path);

        Assert.Equal(0, code);
        Assert.Equal(output.Trim(), MountUnitName.FromPath(path));
    }

    [Fact]
    public void DescribeFailure_NfsExitStatus32_SaysWhatSystemdSaid()
    {
        var spec = new MountSpec(@"mnt-x.mount", "10.0.0.2:/e", "/mnt/x", "nfs", "rw", true, TimeSpan.FromSeconds(30), "d");

        var text = RealServerAgent.DescribeFailure(spec, "failed", new UnitStatus("loaded", "failed", "failed", "exit-code", 32));

        Assert.StartsWith("mounting 10.0.0.2:/e on /mnt/x failed: systemd job failed, mnt-x.mount ActiveState=failed SubState=failed Result=exit-code, mount exited with status 32 (mount failure)", text);
    }
}
