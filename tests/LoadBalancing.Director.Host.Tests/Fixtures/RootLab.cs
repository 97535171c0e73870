namespace LoadBalancing.Director.Host.Tests.Fixtures;

/// <summary>What the network-namespace tests need: Linux, root, and the lab's tools; a skip with the reason otherwise, a failure under CI=true.</summary>
internal static class RootLab
{
    private static readonly string[] ToolDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

    /// <summary>Returns when the test can run; skips (or fails under <c>CI=true</c>) with the reason otherwise.</summary>
    /// <param name="what">What is skipped, for the message.</param>
    /// <param name="tools">The programs the test runs.</param>
    public static void RequireOrSkip(string what, params string[] tools)
    {
        string? reason = null;
        if (!OperatingSystem.IsLinux())
        {
            reason = "network namespaces need Linux";
        }
        else if (!Environment.IsPrivilegedProcess)
        {
            reason = "needs root (network namespaces, CAP_NET_RAW, CAP_NET_ADMIN)";
        }
        else if (tools.FirstOrDefault(t => !ToolDirectories.Any(d => File.Exists(Path.Combine(d, t)))) is { } missing)
        {
            reason = $"'{missing}' is not installed (run tests/install-deps.sh)";
        }

        if (reason is null)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable("CI") == "true")
        {
            Assert.Fail($"{what} cannot run under CI=true: {reason}");
        }

        Assert.Skip($"{what} skipped: {reason}");
    }
}
