using System.Diagnostics;

namespace LoadBalancing.Director.Host.Tests.Fixtures;

/// <summary>
/// The shipped LVS-DR lab (<c>Demo/dr-lab.sh</c>: client, director, two nginx real servers with the VIP on lo) with a
/// rules file for <c>lb-director</c> in DR mode (rr over both servers, gatewaying). Removed on dispose, namespaces and
/// scratch directory included. Callers check <see cref="RootLab.RequireOrSkip"/> first.
/// </summary>
internal sealed class DrHostLab : IAsyncDisposable
{
    public const string Vip = "10.77.0.100";

    /// <summary>The Prometheus endpoint for <c>Director:Metrics:Prometheus:Url</c>: in the director's namespace, so a fixed port cannot collide.</summary>
    public const string MetricsUrl = "http://127.0.0.1:9108/metrics";

    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "Demo", "dr-lab.sh");
    private int _disposed;

    private DrHostLab(string prefix, string workDirectory)
    {
        Prefix = prefix;
        WorkDirectory = workDirectory;
    }

    /// <summary>The lab's namespace prefix (<c>PREFIX-dir</c>, <c>PREFIX-cli</c>, <c>PREFIX-rsN</c>).</summary>
    public string Prefix { get; }

    /// <summary>The director's working directory (rules file, control socket).</summary>
    public string WorkDirectory { get; }

    /// <summary>Builds the lab under a random prefix starting with <paramref name="stem"/> and writes the rules file.</summary>
    public static async Task<DrHostLab> StartAsync(string stem, CancellationToken cancellationToken)
    {
        var lab = new DrHostLab($"{stem}{Random.Shared.Next(0x10000):x4}", Directory.CreateTempSubdirectory($"{stem}-dr-").FullName);
        try
        {
            var up = await RunAsync("bash", cancellationToken, Script, "up", lab.Prefix, "2");
            Assert.True(up.ExitCode == 0, $"dr-lab.sh up failed:\n{up.Output}");
            await File.WriteAllTextAsync(
                Path.Combine(lab.WorkDirectory, "rules"),
                $"-A -t {Vip}:80 -s rr\n-a -t {Vip}:80 -r 10.77.0.21:80 -g -w 1\n-a -t {Vip}:80 -r 10.77.0.22:80 -g -w 1\n",
                cancellationToken);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts <c>lb-director</c> in the director namespace as a DR director on eth0 with one worker, plus
    /// <paramref name="settings"/>, and waits until a request through the VIP is answered (the forwarder resolves the
    /// real servers' MACs through the kernel's neighbour table first).
    /// </summary>
    public async Task<DirectorProcess> StartDirectorAsync(CancellationToken cancellationToken, params string[] settings)
    {
        var director = await DirectorProcess.StartInNamespaceAsync(
            $"{Prefix}-dir", WorkDirectory, ["--Director:Forwarder=dr", "--Director:DirectRouting:InterfaceName=eth0", "--Director:DirectRouting:Workers=1", .. settings]);
        var clock = Stopwatch.StartNew();
        while (await CurlAsync(cancellationToken) is null)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                var output = director.Output.Text;
                await director.DisposeAsync();
                Assert.Fail($"no answer through the VIP within 20 s:\n{output}");
            }

            await Task.Delay(250, cancellationToken);
        }

        return director;
    }

    /// <summary>One request to the VIP from the client namespace on a new connection; the body, or null when none came.</summary>
    public async Task<string?> CurlAsync(CancellationToken cancellationToken)
    {
        var (exitCode, output) = await ExecAsync("cli", cancellationToken, "curl", "-s", "--max-time", "3", $"http://{Vip}/");
        return exitCode == 0 && output.Length > 0 ? output.Trim() : null;
    }

    /// <summary>Scrapes <see cref="MetricsUrl"/> from inside the director's namespace (curl, bounded to 5 s).</summary>
    public async Task<List<PrometheusText.Sample>> ScrapeMetricsAsync(CancellationToken cancellationToken)
    {
        var (exitCode, text) = await ExecAsync("dir", cancellationToken, "curl", "-sf", "--max-time", "5", MetricsUrl);
        Assert.True(exitCode == 0, $"scrape of {MetricsUrl} failed ({exitCode}): {text}");
        return PrometheusText.Parse(text);
    }

    /// <summary>Runs a command in one of the lab's namespaces (<c>dir</c>, <c>cli</c>, <c>rsN</c>).</summary>
    public Task<(int ExitCode, string Output)> ExecAsync(string host, CancellationToken cancellationToken, params string[] command)
        => RunAsync("ip", cancellationToken, ["netns", "exec", $"{Prefix}-{host}", .. command]);

    /// <summary>Runs a tool (bounded to 60 s) and returns its exit code and output (standard output, then error).</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string tool, CancellationToken cancellationToken, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await RunAsync("bash", CancellationToken.None, Script, "down", Prefix);
        Directory.Delete(WorkDirectory, recursive: true);
    }
}
