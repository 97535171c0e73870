using System.Diagnostics;
using System.Runtime.InteropServices;
using LoadBalancing.Cli.Tests.Fakes;

namespace LoadBalancing.Cli.Tests;

/// <summary>The built lbadm as a real process: the issue's operator session, two concurrent writers, Ctrl-C on --watch.</summary>
public sealed partial class LbadmProcessTests : IDisposable
{
    // ipvsadm.c print_title and "  -> %-28s %-7s %-6d %-10u %-10u\n" (lvs-reference.md §2.2, §2.4).
    private const string Header = "IP Virtual Server version 1.2.1 (size=4096)\n"
        + "Prot LocalAddress:Port Scheduler Flags\n"
        + "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";

    private readonly string _directory = Directory.CreateTempSubdirectory("lbadm-process-").FullName;

    private string RulesFile => Path.Combine(_directory, "rules");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Lbadm_IssueOperatorSession_GivesIpvsadmOutputAtEveryStep()
    {
        Step("-A -t 192.168.1.254:80 -s rr", new(0, "", ""));
        Step("-a -t 192.168.1.254:80 -r 192.168.1.100 -m -w 1", new(0, "", ""));
        Step("-ln", new(0, Header + "TCP  192.168.1.254:80 rr\n" + "  -> 192.168.1.100:80             Masq    1      0          0         \n", ""));

        // Without -n ports print as /etc/services names (netbase: 80/tcp is http), the way ipvsadm -S does.
        const string Saved = "-A -t 192.168.1.254:http -s rr\n-a -t 192.168.1.254:http -r 192.168.1.100:http -m -w 1\n";
        Step("-S", new(0, Saved, ""));
        var savedFile = Path.Combine(_directory, "saved.rules");
        File.WriteAllText(savedFile, LbadmProcess.Run(RulesFile, "-S").Stdout);

        Step("-C", new(0, "", ""));
        Step("-ln", new(0, Header, ""));
        Step(
            $"diff {savedFile}",
            new(1, "+ -A -t 192.168.1.254:80 -s rr\n+ -a -t 192.168.1.254:80 -r 192.168.1.100:80 -m -w 1\n", ""));
        Assert.Equal(new Lbadm.Result(0, "", ""), LbadmProcess.Run(RulesFile, "-R", File.ReadAllText(savedFile)));
        Step($"diff {savedFile}", new(0, "", ""));
        Step("-Sn", new(0, "-A -t 192.168.1.254:80 -s rr\n-a -t 192.168.1.254:80 -r 192.168.1.100:80 -m -w 1\n", ""));

        Step("-d -r 192.168.1.100:80 -t 192.168.1.254:80", new(0, "", ""));
        Step("-ln", new(0, Header + "TCP  192.168.1.254:80 rr\n", ""));
        Step("-D -t 192.168.1.254:80", new(0, "", ""));
        Step("-ln", new(0, Header, ""));
        Step("-D -t 192.168.1.254:80", new(255, "", "No such service\n"));
        Step("-Sn", new(0, "", ""));
    }

    [Fact]
    public async Task Lbadm_TwoProcessesAddingConcurrently_LoseNoChange()
    {
        const int PerWriter = 25;
        Assert.Equal(0, LbadmProcess.Run(RulesFile, "-A -t 10.0.0.1:80 -s rr").ExitCode);

        // Two writers, each a sequence of separate lbadm runs; every run is a read-modify-write of the same file.
        var writers = Enumerable.Range(1, 2).Select(w => Task.Run(
            () =>
        {
            for (var i = 1; i <= PerWriter; i++)
            {
                var result = LbadmProcess.Run(RulesFile, $"-a -t 10.0.0.1:80 -r 10.0.{w}.{i} -m -w {i}");
                Assert.Equal(new Lbadm.Result(0, "", ""), result);
            }
        },
            TestContext.Current.CancellationToken)).ToArray();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);

        var saved = LbadmProcess.Run(RulesFile, "-Sn");
        Assert.Equal(0, saved.ExitCode);
        var expected = Enumerable.Range(1, 2)
            .SelectMany(w => Enumerable.Range(1, PerWriter).Select(i => $"-a -t 10.0.0.1:80 -r 10.0.{w}.{i}:80 -m -w {i}"))
            .Order(StringComparer.Ordinal);
        Assert.Equal(expected, saved.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
    }

    [Theory]
    [InlineData(SigInt)]
    [InlineData(SigTerm)]
    public async Task Lbadm_WatchInterruptedBySignal_ExitsZeroAfterAFrame(int signal)
    {
        Assert.Equal(0, LbadmProcess.Run(RulesFile, "-A -t 10.0.0.1:80 -s rr").ExitCode);
        using var process = LbadmProcess.Start(RulesFile, ["--watch", "--interval", "3600"], defaultSignals: true);
        try
        {
            process.StandardInput.Close();
            var cancel = TestContext.Current.CancellationToken;
            var stderr = process.StandardError.ReadToEndAsync(cancel);
            var frame = new List<string>();
            for (var i = 0; i < 4; i++)
            {
                frame.Add((await process.StandardOutput.ReadLineAsync(cancel).AsTask().WaitAsync(TimeSpan.FromSeconds(60), cancel))!);
            }

            Assert.Equal(
                [
                    "IP Virtual Server version 1.2.1 (size=4096)",
                    "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS",
                    "  -> RemoteAddress:Port",
                    "TCP  10.0.0.1:80                         0        0        0        0        0",
                ],
                frame);

            Assert.Equal(0, Kill(process.Id, signal));
            await process.WaitForExitAsync(cancel).WaitAsync(TimeSpan.FromSeconds(30), cancel);
            Assert.Equal(0, process.ExitCode);
            Assert.Equal("", await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private const int SigInt = 2;
    private const int SigTerm = 15;


    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private void Step(string commandLine, Lbadm.Result expected)
    {
        var actual = LbadmProcess.Run(RulesFile, commandLine);
        Assert.True(expected == actual, $"lbadm {commandLine}\nexpected: {expected}\nactual:   {actual}");
    }
}
