using LoadBalancing.Cli.Tests.Fakes;

namespace LoadBalancing.Cli.Tests;

public sealed class LbadmHelpTests : IDisposable
{
    private readonly Lbadm _lbadm = new();

    public void Dispose() => _lbadm.Dispose();

    [Theory]
    [InlineData("-h")]
    [InlineData("--help")]
    public void Help_ContainsIpvsadmUsageLineForLineInOrder(string option)
    {
        // ipvsadm 1.31's usage_exit text with "lbadm" for the program name. lbadm may add lines (its own
        // commands and options) but every ipvsadm line must be there, unchanged, in ipvsadm's order. The one
        // deliberate change: the scheduler list also names twos (Linux 6.2+).
        var ipvsadm = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Golden", "ipvsadm-1.31-usage.txt"))
            .Select(l => l.Replace("ovf|mh,", "ovf|mh|twos,", StringComparison.Ordinal));

        var help = _lbadm.Run(option);

        Assert.Equal(0, help.ExitCode);
        Assert.Equal("", help.Stderr);
        var lines = help.Stdout.Split('\n');
        Assert.StartsWith("lbadm v", lines[0], StringComparison.Ordinal);
        var at = 1;
        foreach (var line in ipvsadm)
        {
            var found = Array.IndexOf(lines, line, at);
            Assert.True(found >= 0, $"ipvsadm's help line missing or out of order: '{line}'");
            at = found + 1;
        }
    }

    [Fact]
    public void Help_NamesLbadmCommands()
    {
        var help = _lbadm.Run("-h").Stdout;

        Assert.Contains("  lbadm diff FILE\n", help, StringComparison.Ordinal);
        Assert.Contains("  lbadm --watch [--interval seconds] [--count n] [-L|l [virtual-service] [options]]\n", help, StringComparison.Ordinal);
        Assert.Contains("  --rules-file PATH ", help, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-A", 2, "You need to supply the 'service-address' option for the 'add-service' command\n")]
    // ipvsadm takes the command from the first option only; a later command letter is just an invalid option.
    [InlineData("-L -A", 2, "invalid option `-A'\n")]
    [InlineData("-Q", 255, "Try `lbadm -h' or 'lbadm --help' for more information.\n")]
    [InlineData("-a -t 10.0.0.1:80 -r 10.0.0.2 -w 70000", 2, "illegal weight specified\n")]
    [InlineData("-A -t 10.0.0.1 -s rr", 2, "Zero port specified for non-persistent service\n")]
    public void Errors_UseIpvsadmWordingAndExitStatus(string commandLine, int exitCode, string stderr)
    {
        Assert.Equal(new Lbadm.Result(exitCode, "", stderr), _lbadm.Run(commandLine));
    }
}
