using LoadBalancing.Health.Probes;
using LoadBalancing.Health.Tests.Fixtures;

namespace LoadBalancing.Health.Tests.Probes;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ExecProbeTests : IDisposable
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private static readonly ProbeTarget Target = FreePort.Loopback(8080);
    private readonly string _dir = Directory.CreateTempSubdirectory("lb-health-exec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ProbeAsync_True_Up()
        => Assert.True((await HealthProbes.Exec(new ExecProbeOptions { FileName = "/bin/true" }).ProbeAsync(Target, Ct)).IsUp);

    [Fact]
    public async Task ProbeAsync_False_Down()
    {
        var result = await HealthProbes.Exec(new ExecProbeOptions { FileName = "/bin/false" }).ProbeAsync(Target, Ct);
        Assert.Equal("exec /bin/false: exit code 1", result.Reason);
    }

    [Fact]
    public async Task ProbeAsync_Exit5Dynamic_WeightThree()
    {
        var script = Script("exit5.sh", "exit 5");
        var result = await HealthProbes.Exec(new ExecProbeOptions { FileName = script, Dynamic = true }).ProbeAsync(Target, Ct);
        Assert.Equal(ProbeResult.Weighted(3), result);
    }

    [Fact]
    public async Task ProbeAsync_Exit5NotDynamic_Down()
    {
        var script = Script("exit5.sh", "exit 5");
        var result = await HealthProbes.Exec(new ExecProbeOptions { FileName = script }).ProbeAsync(Target, Ct);
        Assert.False(result.IsUp);
    }

    [Theory]
    [InlineData(0, true, true, null)]
    [InlineData(1, true, false, null)]
    [InlineData(2, true, true, 0)]
    [InlineData(255, true, true, 253)]
    [InlineData(2, false, false, null)]
    public void Classify_ExitCode_KeepalivedMiscCheckMeaning(int code, bool dynamic, bool up, int? weight)
    {
        var result = ExecProbe.Classify(code, dynamic, "x");
        Assert.Equal(up, result.IsUp);
        Assert.Equal(weight, result.DynamicWeight);
    }

    [Fact]
    public async Task ProbeAsync_ArgumentsWithShellCharacters_PassedVerbatim()
    {
        var output = Path.Combine(_dir, "args.txt");
        var script = Script("args.sh", $"printf '%s\\n' \"$@\" > '{output}'");
        string[] args = ["a b", "$(touch /tmp/lb-pwned)", "{address}:{port}", "*"];
        var result = await HealthProbes.Exec(new ExecProbeOptions { FileName = script, Arguments = [.. args] }).ProbeAsync(Target, Ct);
        Assert.True(result.IsUp);
        Assert.Equal(["a b", "$(touch /tmp/lb-pwned)", "127.0.0.1:8080", "*"], File.ReadAllLines(output));
    }

    [Fact]
    public async Task ProbeAsync_SleepingScript_TimeoutKillsProcessTree()
    {
        var pidFile = Path.Combine(_dir, "child.pid");
        var script = Script("sleep.sh", $"sleep 30 &\necho $! > '{pidFile}'\nwait");
        var result = await HealthProbes.Exec(new ExecProbeOptions { FileName = script, Timeout = TimeSpan.FromMilliseconds(300) }).ProbeAsync(Target, Ct);
        Assert.False(result.IsUp);
        Assert.Contains("timeout", result.Reason);

        // The grandchild `sleep` must be gone too (a zombie until reaped by init at worst).
        var child = int.Parse(File.ReadAllText(pidFile).Trim());
        var gone = SpinWait.SpinUntil(() => !File.Exists($"/proc/{child}/stat") || File.ReadAllText($"/proc/{child}/stat").Split(' ')[2] == "Z", TimeSpan.FromSeconds(5));
        Assert.True(gone, $"sleep {child} still running");
    }

    [Fact]
    public async Task ProbeAsync_MissingProgram_Down()
    {
        var result = await HealthProbes.Exec(new ExecProbeOptions { FileName = Path.Combine(_dir, "missing") }).ProbeAsync(Target, Ct);
        Assert.False(result.IsUp);
    }

    private string Script(string name, string body)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
