using System.Diagnostics;

namespace LoadBalancing.Director.Host.Tests.Demo;

/// <summary>The README's first command: <c>lb-director demo</c> runs on its own, prints the story and exits 0.</summary>
public sealed class DemoTests
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "lb-director.dll");

    [Fact]
    public async Task Demo_ProxyMode_ExitsZeroShowingLeaveAndRejoin()
    {
        var (exitCode, output) = await RunAsync(["demo"], TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 0, $"demo exited {exitCode}:\n{output}");
        Assert.Contains("# ok: wrr 1:2:3 gives 10/20/30 of 60", output, StringComparison.Ordinal);
        Assert.Matches(@"# ok: health checks take rs2 out \(weight 0\)", output);
        Assert.Contains("# ok: no request reaches rs2 while it is down", output, StringComparison.Ordinal);
        Assert.Matches(@"# ok: rs2 rejoins with weight 2", output);
        Assert.Contains("$ lbadm -Ln --stats", output, StringComparison.Ordinal);
        Assert.Matches(@"TCP  127\.0\.0\.1:\d+\s+150\s", output);
        Assert.Contains("all checks passed", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAILED", output, StringComparison.Ordinal);
    }

    internal static async Task<(int ExitCode, string Output)> RunAsync(string[] args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            // The demo's own finally blocks clean up on SIGTERM; the tree kill is the last resort.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"lb-director {string.Join(' ', args)} did not finish within {timeout.TotalSeconds}s:\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
