using System.Diagnostics;

namespace LoadBalancing.Director.Host.Tests.Fixtures;

/// <summary>Runs the real <c>lbadm</c> executable (<c>dotnet exec LoadBalancing.Cli.dll</c>) and captures what it prints.</summary>
internal static class LbadmProcess
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "LoadBalancing.Cli.dll");

    public static async Task<Result> RunAsync(string director, string commandLine, string? token = null, string stdin = "")
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "exec", Dll, "--director", director }.Concat(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("LBADM_DIRECTOR");
        start.Environment.Remove("LBADM_RULES_FILE");
        start.Environment.Remove("LBADM_DIRECTOR_TOKEN");
        if (token is not null)
        {
            start.Environment["LBADM_DIRECTOR_TOKEN"] = token;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"lbadm {commandLine} did not finish within 60 s");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs lbadm and fails the test unless it exits 0.</summary>
    public static async Task<string> RunOkAsync(string director, string commandLine)
    {
        var result = await RunAsync(director, commandLine);
        Assert.True(result.ExitCode == 0, $"lbadm {commandLine} exited {result.ExitCode}: {result.Stderr}");
        return result.Stdout;
    }

    internal sealed record Result(int ExitCode, string Stdout, string Stderr);
}
