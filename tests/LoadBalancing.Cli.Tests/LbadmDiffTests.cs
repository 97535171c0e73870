using LoadBalancing.Cli.Tests.Fakes;

namespace LoadBalancing.Cli.Tests;

public sealed class LbadmDiffTests : IDisposable
{
    private readonly Lbadm _lbadm = new();

    public LbadmDiffTests()
    {
        _lbadm.Run("-A -t 192.168.1.254:80 -s rr");
        _lbadm.Run("-a -t 192.168.1.254:80 -r 192.168.1.100 -m -w 1");
        _lbadm.Run("-a -t 192.168.1.254:80 -r 192.168.1.101 -m -w 1");
        _lbadm.Run("-A -u 192.168.1.254:53 -s sh");
    }

    public void Dispose() => _lbadm.Dispose();

    [Fact]
    public void Diff_SavedTable_PrintsNothingAndExitsZero()
    {
        var file = Write("saved.rules", _lbadm.Run("-S").Stdout);

        Assert.Equal(new Lbadm.Result(0, "", ""), _lbadm.Run(["diff", file]));
    }

    [Fact]
    public void Diff_ChangedFile_PrintsCommandsExitsOneAndChangesNothing()
    {
        var before = File.ReadAllBytes(_lbadm.RulesFile);
        var file = Write("new.rules", """
            # ipvsadm-save -n output, edited
            -A -t 192.168.1.254:http -s wrr
            -a -t 192.168.1.254:80 -r 192.168.1.100:80 -m -w 5
            -a -t 192.168.1.254:80 -r 192.168.1.102:80 -m -w 1
            -A -t 192.168.1.254:443 -s wlc -p 300

            """);

        var result = _lbadm.Run(["diff", file]);

        Assert.Equal(
            new Lbadm.Result(
                1,
                "~ -E -t 192.168.1.254:80 -s wrr\n"
                + "~ -e -t 192.168.1.254:80 -r 192.168.1.100:80 -m -w 5\n"
                + "- -d -t 192.168.1.254:80 -r 192.168.1.101:80\n"
                + "+ -a -t 192.168.1.254:80 -r 192.168.1.102:80 -m -w 1\n"
                + "+ -A -t 192.168.1.254:443 -s wlc -p 300\n"
                + "- -D -u 192.168.1.254:53\n",
                ""),
            result);
        Assert.Equal(before, File.ReadAllBytes(_lbadm.RulesFile));
    }

    [Fact]
    public void Diff_ThenClearAndRestore_LeavesNoDifference()
    {
        const string Rules = "-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 3\n--set 0 60 0\n";
        var file = Write("next.rules", Rules);
        Assert.Equal(1, _lbadm.Run(["diff", file]).ExitCode);

        Assert.Equal(0, _lbadm.Run("-C").ExitCode);
        Assert.Equal(0, _lbadm.Run("-R", Rules).ExitCode);

        Assert.Equal(new Lbadm.Result(0, "", ""), _lbadm.Run(["diff", file]));
    }

    [Fact]
    public void Diff_Stdin_ReadsDash()
    {
        var result = _lbadm.Run(["diff", "-"], "-A -u 192.168.1.254:53 -s sh\n");

        Assert.Equal(
            new Lbadm.Result(1, "- -D -t 192.168.1.254:80\n", ""),
            result);
    }

    [Theory]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2 -w 70000\n", "{0}:2:34: illegal weight specified (expected a weight from 0 to 65535)\n")]
    [InlineData("-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.1:80 -s wrr\n", "{0}:2: Service already exists\n")]
    [InlineData("-A -t 10.0.0.1:80 -s nosuch\n", "{0}:1: Scheduler or persistence engine not found\n")]
    public void Diff_BadFile_NamesFileLineColumnAndExitsTwo(string text, string message)
    {
        var before = File.ReadAllBytes(_lbadm.RulesFile);
        var file = Write("bad.rules", text);

        var result = _lbadm.Run(["diff", file]);

        Assert.Equal(new Lbadm.Result(2, "", string.Format(System.Globalization.CultureInfo.InvariantCulture, message, file)), result);
        Assert.Equal(before, File.ReadAllBytes(_lbadm.RulesFile));
    }

    [Theory]
    [InlineData("diff", "lbadm diff: expected one FILE (ipvsadm-save output, or - for stdin)\n")]
    [InlineData("diff a b", "lbadm diff: expected one FILE (ipvsadm-save output, or - for stdin)\n")]
    [InlineData("--json diff x", "Illegal 'json' option with the 'diff' command\n")]
    public void Diff_BadArguments_ExitTwo(string commandLine, string message)
    {
        Assert.Equal(new Lbadm.Result(2, "", message), _lbadm.Run(commandLine));
    }

    [Fact]
    public void Diff_MissingFile_ExitsTwo()
    {
        var missing = Path.Combine(_lbadm.Directory, "missing.rules");

        var result = _lbadm.Run(["diff", missing]);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"lbadm diff: cannot read {missing}: ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Diff_CorruptRulesFile_IsTroubleNotDifference()
    {
        var file = Write("good.rules", "-A -t 10.0.0.1:80 -s rr\n");
        File.WriteAllText(_lbadm.RulesFile, "-A -t 10.0.0.1:80 -s rr -w 3\n");

        var result = _lbadm.Run(["diff", file]);

        Assert.Equal(
            new Lbadm.Result(2, "", $"lbadm: {_lbadm.RulesFile}: line 1, column 25: Illegal 'weight' option with the 'add-service' command (expected no weight option with the add-service command)\n"),
            result);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_lbadm.Directory, name);
        File.WriteAllText(path, text);
        return path;
    }
}
