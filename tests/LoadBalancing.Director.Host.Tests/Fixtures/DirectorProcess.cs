using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LoadBalancing.Director.Host.Tests.Fixtures;

/// <summary>
/// The real director host (<c>lb-director.dll</c>, started with <c>dotnet exec</c>) in a test directory: rules file and
/// control socket inside it, settings on the command line. Killed by PID on dispose if still running.
/// </summary>
internal sealed partial class DirectorProcess : IAsyncDisposable
{
    public const string Token = "e2e-token-0123456789abcdef";
    private const int SigHup = 1;
    private const int SigTerm = 15;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "lb-director.dll");

    private readonly Process _process;

    private DirectorProcess(Process process, ProcessOutput output, string directory)
    {
        _process = process;
        Output = output;
        Directory = directory;
    }

    public string Directory { get; }

    public ProcessOutput Output { get; }

    public int Pid => _process.Id;

    public string RulesFile => Path.Combine(Directory, "rules");

    public string SocketAddress => $"unix:{Path.Combine(Directory, "director.sock")}";

    /// <summary>Gets the TCP control address from the host's "listening on" log line, when TCP is configured.</summary>
    public string? TcpAddress { get; private set; }

    public bool HasExited => _process.HasExited;

    public static Task<DirectorProcess> StartAsync(string directory, params string[] settings) => StartAsync(null, directory, settings);

    /// <summary>Starts the director inside network namespace <paramref name="netns"/> (<c>ip netns exec</c>, which execs it: same PID).</summary>
    public static Task<DirectorProcess> StartInNamespaceAsync(string netns, string directory, params string[] settings) => StartAsync(netns, directory, settings);

    private static async Task<DirectorProcess> StartAsync(string? netns, string directory, string[] settings)
    {
        // Through env --default-signal: a shell starts background jobs with SIGINT ignored and nohup ignores SIGHUP,
        // children inherit that and the runtime then installs no handler, so SIGHUP reloads would never arrive.
        var start = new ProcessStartInfo(netns is null ? "/usr/bin/env" : "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        var prefix = netns is null ? [] : new[] { "netns", "exec", netns, "/usr/bin/env" };
        foreach (var arg in prefix.Concat(new[]
        {
            "--default-signal", "dotnet", "exec", Dll,
            $"--Director:RulesFile={Path.Combine(directory, "rules")}",
            $"--Director:ControlSocketPath={Path.Combine(directory, "director.sock")}",
            "--Logging:Console:FormatterName=simple",
            "--Logging:Console:FormatterOptions:SingleLine=true",
            "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
        }).Concat(settings))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("LBADM_DIRECTOR");
        var process = new Process { StartInfo = start };
        var output = new ProcessOutput(process);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var director = new DirectorProcess(process, output, directory);
        try
        {
            var exited = process.WaitForExitAsync();
            // Logged once every hosted service (table, control API, health checks, forwarder) has started.
            var ready = output.WaitForLineAsync(StartTimeout, 0, "Application started");
            if (await Task.WhenAny(exited, ready) == exited)
            {
                throw new InvalidOperationException($"lb-director exited with {process.ExitCode} during start:\n{output.Text}");
            }

            await ready;
            await output.WaitForLineAsync(StartTimeout, 0, "Director control API listening on unix:");
            if (settings.Any(s => s.StartsWith("--Director:ControlTcpEndpoint=", StringComparison.Ordinal)))
            {
                var line = await output.WaitForLineAsync(StartTimeout, 0, "Director control API listening on http");
                director.TcpAddress = line[(line.IndexOf("listening on ", StringComparison.Ordinal) + "listening on ".Length)..].Trim();
            }
        }
        catch
        {
            await director.DisposeAsync();
            throw;
        }

        return director;
    }

    /// <summary>Sends SIGHUP (reload the rules file).</summary>
    public void Reload() => Signal(SigHup);

    /// <summary>Sends SIGTERM and waits for a clean exit.</summary>
    /// <returns>The exit code.</returns>
    public async Task<int> StopAsync()
    {
        Signal(SigTerm);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
