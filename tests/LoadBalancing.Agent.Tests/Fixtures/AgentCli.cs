using System.Diagnostics;
using System.Text.Json;

namespace LoadBalancing.Agent.Tests.Fixtures;

/// <summary>Runs the real <c>lbagent</c> executable, optionally inside a network namespace (<c>ip netns exec</c>).</summary>
internal static class AgentCli
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "lbagent.dll");

    public static string WriteConfig(string directory, object agentSection)
    {
        var path = Path.Combine(directory, $"agent-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { Agent = agentSection }));
        return path;
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string? netns, string verb, string config, IDictionary<string, string>? environment = null, params string[] extra)
    {
        var startInfo = new ProcessStartInfo(netns is null ? "dotnet" : "/usr/sbin/ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (netns is not null)
        {
            foreach (var a in new[] { "netns", "exec", netns, "dotnet" })
            {
                startInfo.ArgumentList.Add(a);
            }
        }

        foreach (var a in new[] { Dll, verb, "--config", config }.Concat(extra))
        {
            startInfo.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
