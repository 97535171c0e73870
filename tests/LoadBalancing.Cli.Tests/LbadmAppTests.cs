using LoadBalancing.Cli.Tests.Fakes;

namespace LoadBalancing.Cli.Tests;

public sealed class LbadmAppTests : IDisposable
{
    private const string Header = "IP Virtual Server version 1.2.1 (size=4096)\n"
        + "Prot LocalAddress:Port Scheduler Flags\n"
        + "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";

    private readonly Lbadm _lbadm = new();

    public void Dispose() => _lbadm.Dispose();

    [Fact]
    public void Run_OperatorSession_GivesIpvsadmOutput()
    {
        Assert.Equal(new Lbadm.Result(0, "", ""), _lbadm.Run("-A -t 192.168.1.254:80 -s rr"));
        Assert.Equal(new Lbadm.Result(0, "", ""), _lbadm.Run("-a -t 192.168.1.254:80 -r 192.168.1.10:80 -g -w 1"));
        Assert.Equal(new Lbadm.Result(0, "", ""), _lbadm.Run("-a -t 192.168.1.254:80 -r 192.168.1.11:80 -g -w 2"));

        Assert.Equal(
            new Lbadm.Result(
                0,
                Header
                + "TCP  192.168.1.254:80 rr\n"
                + "  -> 192.168.1.10:80              Route   1      0          0         \n"
                + "  -> 192.168.1.11:80              Route   2      0          0         \n",
                ""),
            _lbadm.Run("-Ln"));
        Assert.Equal(
            new Lbadm.Result(
                0,
                "-A -t 192.168.1.254:80 -s rr\n"
                + "-a -t 192.168.1.254:80 -r 192.168.1.10:80 -g -w 1\n"
                + "-a -t 192.168.1.254:80 -r 192.168.1.11:80 -g -w 2\n",
                ""),
            _lbadm.Run("-S -n"));
        Assert.Equal(new Lbadm.Result(0, "", ""), _lbadm.Run("-C"));
        Assert.Equal(new Lbadm.Result(0, Header, ""), _lbadm.Run("-Ln"));
    }

    [Fact]
    public void Run_IssueSession_SaveClearRestoreDelete()
    {
        _lbadm.Run("-A -t 192.168.1.254:80 -s rr");
        _lbadm.Run("-a -t 192.168.1.254:80 -r 192.168.1.100 -m -w 1");
        Assert.Equal(
            Header + "TCP  192.168.1.254:80 rr\n  -> 192.168.1.100:80             Masq    1      0          0         \n",
            _lbadm.Run("-ln").Stdout);

        var saved = _lbadm.Run("-Sn").Stdout;
        Assert.Equal("-A -t 192.168.1.254:80 -s rr\n-a -t 192.168.1.254:80 -r 192.168.1.100:80 -m -w 1\n", saved);
        Assert.Equal(0, _lbadm.Run("-C").ExitCode);
        Assert.Equal(0, _lbadm.Run("-R", saved).ExitCode);
        Assert.Equal(saved, _lbadm.Run("-Sn").Stdout);

        Assert.Equal(0, _lbadm.Run("-d -r 192.168.1.100:80 -t 192.168.1.254:80").ExitCode);
        Assert.Equal(0, _lbadm.Run("-D -t 192.168.1.254:80").ExitCode);
        Assert.Equal("", _lbadm.Run("-Sn").Stdout);
    }

    [Theory]
    [InlineData("-A -t 192.168.1.254:80 -s rr", 255, "Service already exists\n")]
    [InlineData("-D -t 10.9.9.9:80", 255, "No such service\n")]
    [InlineData("-a -t 10.9.9.9:80 -r 10.0.0.1", 255, "Service not defined\n")]
    [InlineData("-A -t 10.0.0.1:80 -w 3", 2, "Illegal 'weight' option with the 'add-service' command\n")]
    [InlineData("-nL", 255, "Try `lbadm -h' or 'lbadm --help' for more information.\n")]
    [InlineData("-L --bogus", 255, "--bogus: unknown option\n")]
    [InlineData("-L -t 10.9.9.9:80", 1, "No such service\n")]
    [InlineData("-S --json", 2, "Illegal 'json' option with the 'save' command\n")]
    public void Run_Errors_PrintIpvsadmMessageAndExitStatus(string commandLine, int exitCode, string stderr)
    {
        _lbadm.Run("-A -t 192.168.1.254:80 -s rr");

        var result = _lbadm.Run(commandLine);

        Assert.Equal(new Lbadm.Result(exitCode, "", stderr), result);
    }

    [Fact]
    public void Run_RestoreWithBadLine_AppliesNothingAndNamesLineAndColumn()
    {
        _lbadm.Run("-A -t 10.0.0.1:80 -s rr");
        var before = File.ReadAllText(_lbadm.RulesFile);

        var result = _lbadm.Run("-R", "-A -t 10.0.0.2:80 -s wrr\n-a -t 10.0.0.2:80 -r 10.0.0.3 -w 99999\n");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("lbadm: restore: line 2, column 34: illegal weight specified (expected a weight from 0 to 65535)\n", result.Stderr);
        Assert.Equal(before, File.ReadAllText(_lbadm.RulesFile));
    }

    [Fact]
    public void Run_RestoreRefusedByTable_AppliesNothing()
    {
        _lbadm.Run("-A -t 10.0.0.1:80 -s rr");

        var result = _lbadm.Run("-R", "-A -t 10.0.0.2:80 -s wrr\n-A -t 10.0.0.1:80\n");

        Assert.Equal(new Lbadm.Result(255, "", "lbadm: restore: line 2: Service already exists\n"), result);
        Assert.Equal("-A -t 10.0.0.1:80 -s rr\n", _lbadm.Run("-Sn").Stdout);
    }

    [Fact]
    public void Run_Thresholds_SurviveInRulesFileButNotInSave()
    {
        _lbadm.Run("-A -t 10.0.0.1:80 -s rr");
        _lbadm.Run("-a -t 10.0.0.1:80 -r 10.0.0.2 -x 10 -y 5");

        Assert.Equal("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n", _lbadm.Run("-Sn").Stdout);
        Assert.Contains("  -> 10.0.0.2:80                  10         5          0          0         \n", _lbadm.Run("-Ln --thresholds").Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_EditServer_KeepsAddOrderInRulesFile()
    {
        _lbadm.Run("-A -t 10.0.0.1:80 -s rr");
        _lbadm.Run("-a -t 10.0.0.1:80 -r 10.0.0.3");
        _lbadm.Run("-a -t 10.0.0.1:80 -r 10.0.0.2");
        _lbadm.Run("-e -t 10.0.0.1:80 -r 10.0.0.3 -w 5");

        var text = File.ReadAllText(_lbadm.RulesFile);

        Assert.True(text.IndexOf("10.0.0.3:80 -g -w 5", StringComparison.Ordinal) < text.IndexOf("10.0.0.2:80", StringComparison.Ordinal));
        Assert.Contains("  -> 10.0.0.2:80", _lbadm.Run("-Ln --nosort").Stdout.Split('\n')[4], StringComparison.Ordinal);
    }

    [Fact]
    public void Run_SetTimeouts_ListedAndKept()
    {
        Assert.Equal(0, _lbadm.Run("--set 1000 0 30").ExitCode);

        Assert.Equal("Timeout (tcp tcpfin udp): 1000 120 30\n", _lbadm.Run("-L --timeout").Stdout);
    }

    [Fact]
    public void Run_Json_ListsServicesSorted()
    {
        _lbadm.Run("-A -u 10.0.0.1:53 -s sh -b sh-port");
        _lbadm.Run("-a -u 10.0.0.1:53 -r 10.0.0.2 -m -w 3");

        var result = _lbadm.Run("-Ln --json");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("\"scheduler\": \"sh\"", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"sh-port\"", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"forward\": \"Masq\"", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_HelpAndVersion_GoToStdoutWithExitZero()
    {
        var help = _lbadm.Run("-h");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("  --add-service     -A        add virtual service with options\n", help.Stdout, StringComparison.Ordinal);
        Assert.StartsWith("lbadm v", _lbadm.Run("--version").Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_CorruptRulesFile_ReportsPathLineAndColumn()
    {
        File.WriteAllText(_lbadm.RulesFile, "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r nohost\n");

        var result = _lbadm.Run("-Ln");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"lbadm: {_lbadm.RulesFile}: line 2, column 22: illegal real server address[:port] specified (expected host[:port] or [IPv6]:port with a literal address and a port number or service name)\n", result.Stderr);
    }

    [Fact]
    public void Run_DemoRules_RestoreThenListNumeric()
    {
        var demo = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "demo.rules"));

        Assert.Equal(new Lbadm.Result(0, "", ""), _lbadm.Run("-R", demo));

        var list = _lbadm.Run("-Ln");
        Assert.Equal(0, list.ExitCode);
        Assert.StartsWith(Header, list.Stdout, StringComparison.Ordinal);
        Assert.Contains("FWM  ", list.Stdout, StringComparison.Ordinal);
    }
}
