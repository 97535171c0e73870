namespace LoadBalancing.Agent.Tests.Fixtures;

/// <summary>
/// A real systemd booted as PID 1 of its own namespaces on an overlay of / (Fixtures/sdbox.sh): never on the
/// machine's own root. The test process reaches its system bus through <c>/proc/PID/root</c>.
/// </summary>
internal sealed class SystemdBox : IAsyncDisposable
{
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "Fixtures", "sdbox.sh");

    private readonly string? _binds;

    private SystemdBox(string name, string? binds)
    {
        Name = name;
        _binds = binds;
    }

    public string Name { get; }

    public int Pid { get; private set; }

    public string Bus => $"unix:path=/proc/{Pid}/root/run/dbus/system_bus_socket";

    public string Root => $"/proc/{Pid}/root";

    public static async Task<SystemdBox> StartAsync(string? binds = null)
    {
        Requirements.RequireRootAndTools("/lib/systemd/systemd", "/usr/bin/dbus-daemon", "/usr/bin/nsenter", "/usr/bin/unshare", "/usr/bin/findmnt", "/sys/fs/cgroup/unified/cgroup.procs");
        var box = new SystemdBox($"lbfb{Environment.ProcessId % 10000}x{Random.Shared.Next(1000)}", binds);
        await box.BootAsync();
        return box;
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        await BootAsync();
    }

    public Task<(int ExitCode, string Output)> ExecAsync(params string[] command)
        => ProcessRunner.RunAsync("/usr/bin/nsenter", ["-t", Pid.ToString(), "-a", "--", .. command]);

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task BootAsync()
    {
        var (code, output) = await RunScriptAsync("start");
        if (code != 0)
        {
            await StopAsync();
            Assert.Fail($"systemd box did not boot: {output}");
        }

        var (_, pid) = await RunScriptAsync("pid");
        Pid = int.Parse(pid.Trim());
    }

    private Task StopAsync() => RunScriptAsync("stop");

    private Task<(int ExitCode, string Output)> RunScriptAsync(string command)
        => ProcessRunner.RunAsync("/usr/bin/env", [$"SDBOX_NAME={Name}", $"SDBOX_BINDS={_binds}", "SDBOX_TIMEOUT=20", "/bin/bash", Script, command]);
}
