using LoadBalancing.Cli.Tests.Fakes;

namespace LoadBalancing.Cli.Tests;

public sealed class LbadmWatchTests : IDisposable
{
    private const string RateFrame = "IP Virtual Server version 1.2.1 (size=4096)\n"
        + "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n"
        + "  -> RemoteAddress:Port\n"
        + "TCP  10.0.0.1:80                         0        0        0        0        0\n";

    private const string Server2 = "  -> 10.0.0.2:80                         0        0        0        0        0\n";
    private const string Server3 = "  -> 10.0.0.3:80                         0        0        0        0        0\n";

    private readonly Lbadm _lbadm = new();

    public LbadmWatchTests()
    {
        _lbadm.Run("-A -t 10.0.0.1:80 -s rr");
        _lbadm.Run("-a -t 10.0.0.1:80 -r 10.0.0.2");
    }

    public void Dispose() => _lbadm.Dispose();

    [Fact]
    public void Watch_Count_PrintsThatManyRateListingsThenExitsZero()
    {
        var stdout = new StringWriter();

        var result = _lbadm.Run(["--watch", "--interval", "0.1", "--count", "3"], stdout, new LbadmConsole());

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Concat(Enumerable.Repeat(RateFrame + Server2, 3)), stdout.ToString());
    }

    [Fact]
    public void Watch_TableChangesBetweenFrames_NextFrameShowsIt()
    {
        // The first frame's flush adds a server, as a second lbadm would; the second frame must list it.
        var frames = 0;
        var stdout = new FlushHookWriter(() =>
        {
            if (++frames == 1)
            {
                Assert.Equal(0, _lbadm.Run("-a -t 10.0.0.1:80 -r 10.0.0.3").ExitCode);
            }
        });

        var result = _lbadm.Run(["--watch", "--interval=0.1", "--count=2"], stdout, new LbadmConsole());

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(RateFrame + Server2 + RateFrame + Server2 + Server3, stdout.ToString());
    }

    [Fact]
    public void Watch_CtrlC_StopsAfterCurrentFrameWithExitZero()
    {
        using var cancel = new CancellationTokenSource();
        var stdout = new FlushHookWriter(cancel.Cancel);

        var result = _lbadm.Run(["--watch", "--interval", "3600"], stdout, new LbadmConsole { Cancel = cancel.Token });

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(RateFrame + Server2, stdout.ToString());
    }

    [Fact]
    public void Watch_WithListOptions_UsesThemAndClearsATerminal()
    {
        var stdout = new StringWriter();

        var result = _lbadm.Run(["--watch", "--count", "1", "-Ln"], stdout, new LbadmConsole { ClearScreen = true });

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            "\e[H\e[2J"
            + "IP Virtual Server version 1.2.1 (size=4096)\n"
            + "Prot LocalAddress:Port Scheduler Flags\n"
            + "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            + "TCP  10.0.0.1:80 rr\n"
            + "  -> 10.0.0.2:80                  Route   1      0          0         \n",
            stdout.ToString());
    }

    [Theory]
    [InlineData("--watch -A -t 10.0.0.9:80", 2, "Illegal 'watch' option with the 'add-service' command\n")]
    [InlineData("--interval 1 -Ln", 2, "Illegal 'interval' option without --watch\n")]
    [InlineData("--count 2", 2, "Illegal 'count' option without --watch\n")]
    [InlineData("--watch --interval 0", 2, "illegal interval '0' specified (expected seconds from 0.1 to 86400)\n")]
    [InlineData("--watch --interval x", 2, "illegal interval 'x' specified (expected seconds from 0.1 to 86400)\n")]
    [InlineData("--watch --count 0", 2, "illegal count '0' specified (expected a positive integer)\n")]
    [InlineData("--watch --count", 255, "--count: missing argument\n")]
    [InlineData("--watch -L -t 10.9.9.9:80", 1, "No such service\n")]
    public void Watch_BadArguments_PrintMessageAndExitStatus(string commandLine, int exitCode, string stderr)
    {
        Assert.Equal(new Lbadm.Result(exitCode, "", stderr), _lbadm.Run(commandLine));
    }

    private sealed class FlushHookWriter(Action onFlush) : StringWriter
    {
        public override void Flush()
        {
            base.Flush();
            onFlush();
        }
    }
}
