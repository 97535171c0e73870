using System.Diagnostics;

namespace LoadBalancing.Cli.Tests.Fakes;

/// <summary>
/// Runs the built lbadm (<c>dotnet exec LoadBalancing.Cli.dll</c>, copied next to the tests) as a real process
/// against a rules file, with a bounded wait; a process still running at the deadline is killed and the test fails.
/// </summary>
internal static class LbadmProcess
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "LoadBalancing.Cli.dll");

    /// <summary>Starts lbadm.</summary>
    /// <param name="rulesFile">The rules file (<c>LBADM_RULES_FILE</c>).</param>
    /// <param name="args">lbadm's arguments.</param>
    /// <param name="defaultSignals">
    /// Start it through <c>env --default-signal</c>, so that signals this test process inherited as ignored
    /// (a shell starts background jobs with SIGINT ignored) are back to their default in lbadm, as in a terminal.
    /// </param>
    public static Process Start(string rulesFile, IEnumerable<string> args, bool defaultSignals = false)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var info = new ProcessStartInfo(defaultSignals ? "/usr/bin/env" : dotnet)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (defaultSignals)
        {
            info.ArgumentList.Add("--default-signal");
            info.ArgumentList.Add(dotnet);
        }

        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["LBADM_RULES_FILE"] = rulesFile;
        info.Environment.Remove("LBADM_DIRECTOR");
        return Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
    }

    public static Lbadm.Result Run(string rulesFile, string commandLine, string stdin = "")
        => Run(rulesFile, commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries), stdin);

    public static Lbadm.Result Run(string rulesFile, IEnumerable<string> args, string stdin = "")
    {
        using var process = Start(rulesFile, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(Deadline))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"lbadm {string.Join(' ', args)} did not exit within {Deadline}");
        }

        return new Lbadm.Result(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
