namespace LoadBalancing.Health.Tests.Fixtures;

/// <summary>Skips a test that needs root or system tools, except under CI=true, where a missing requirement fails it.</summary>
internal static class Requirements
{
    public static void RequireRootAndTools(params string[] tools)
    {
        string? missing = null;
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" && !IsUidZero())
        {
            missing = "needs root on Linux (network namespaces)";
        }
        else
        {
            var absent = tools.Where(t => !File.Exists(t)).ToArray();
            if (absent.Length > 0)
            {
                missing = $"missing {string.Join(", ", absent)} (run tests/install-deps.sh)";
            }
        }

        if (missing is null)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"CI=true: this test must run, but it {missing}.");
        }

        Assert.Skip($"Skipped: this test {missing}.");
    }

    private static bool IsUidZero()
        => File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:"))?.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) == "0";
}
