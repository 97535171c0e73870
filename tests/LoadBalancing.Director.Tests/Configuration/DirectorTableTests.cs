using LoadBalancing.Director.Tests.Fakes;
using LoadBalancing.Listing;
using LoadBalancing.Rules;

namespace LoadBalancing.Director.Tests.Configuration;

public sealed class DirectorTableTests
{
    private const string GoodRules = "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n";

    [Fact]
    public async Task ReloadFile_GoodFile_AppliesNewTable()
    {
        var directory = Directory.CreateTempSubdirectory("lbdir-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "rules"), GoodRules, TestContext.Current.CancellationToken);
        await using var director = await TestDirector.StartAsync(directory);
        Assert.Single(director.Table.Table.Services);

        await File.WriteAllTextAsync(director.RulesFile, GoodRules + "-A -u 10.0.0.1:53 -s wlc\n", TestContext.Current.CancellationToken);

        Assert.True(director.Table.ReloadFile("test"));
        Assert.Equal(2, director.Table.Table.Services.Length);
    }

    [Fact]
    public async Task ReloadFile_BadFile_KeepsRunningTable()
    {
        var directory = Directory.CreateTempSubdirectory("lbdir-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "rules"), GoodRules, TestContext.Current.CancellationToken);
        await using var director = await TestDirector.StartAsync(directory);
        var before = Save(director);

        // A syntax error, then a rule the kernel would refuse (a server for a service that does not exist).
        await File.WriteAllTextAsync(director.RulesFile, "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r\n", TestContext.Current.CancellationToken);
        Assert.False(director.Table.ReloadFile("test"));
        Assert.Equal(before, Save(director));

        await File.WriteAllTextAsync(director.RulesFile, "-a -t 10.9.9.9:80 -r 10.0.0.2:80\n", TestContext.Current.CancellationToken);
        Assert.False(director.Table.ReloadFile("test"));
        Assert.Equal(before, Save(director));
    }

    [Fact]
    public async Task StartAsync_BadRulesFile_FailsNamingFileAndLine()
    {
        var directory = Directory.CreateTempSubdirectory("lbdir-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "rules"), "-A -t 10.0.0.1:80 -s nosuch\n", TestContext.Current.CancellationToken);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => TestDirector.StartAsync(directory));

        Assert.Contains(Path.Combine(directory, "rules"), e.Message, StringComparison.Ordinal);
        Assert.Contains("line 1", e.Message, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task StartAsync_TcpWithoutToken_FailsNamingTheOption()
    {
        var e = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(
            () => TestDirector.StartAsync(configure: o => o.ControlTcpEndpoint = "127.0.0.1:0"));

        Assert.Contains("Director:BearerToken is required", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Change_ThroughApi_SavedAndRestoredAfterRestart()
    {
        var director = await TestDirector.StartAsync();
        Assert.Equal(0, director.Lbadm("-A -t 192.168.1.254:80 -s wrr -p 60").ExitCode);
        Assert.Equal(0, director.Lbadm("-a -t 192.168.1.254:80 -r 10.0.0.11:80 -g -w 3 -x 100 -y 50").ExitCode);
        Assert.Equal(0, director.Lbadm("-a -t 192.168.1.254:80 -r 10.0.0.12:80 -m -w 0").ExitCode);
        Assert.Equal(0, director.Lbadm("--set 1000 60 30").ExitCode);
        var listing = director.Lbadm("-Ln --thresholds").Stdout;
        var timeouts = director.Lbadm("-L --timeout").Stdout;

        // The file is what lbadm --rules-file reads: the same table.
        Assert.Equal(director.Lbadm("-Sn").Stdout, director.LbadmFile(director.RulesFile, "-Sn").Stdout);

        await director.StopAsync();
        await using var restarted = await TestDirector.StartAsync(director.Directory);

        Assert.Equal(listing, restarted.Lbadm("-Ln --thresholds").Stdout);
        Assert.Equal(timeouts, restarted.Lbadm("-L --timeout").Stdout);
        Assert.Equal("Timeout (tcp tcpfin udp): 1000 60 30\n", timeouts);
    }

    [Fact]
    public async Task Change_Refused_LeavesFileAndTableUnchanged()
    {
        await using var director = await TestDirector.StartAsync();
        director.Lbadm("-A -t 10.0.0.1:80 -s rr");
        var file = await File.ReadAllTextAsync(director.RulesFile, TestContext.Current.CancellationToken);

        var result = director.Lbadm("-A -t 10.0.0.1:80 -s wlc");

        Assert.Equal(new Lbadm.Result(255, "", "Service already exists\n"), result);
        Assert.Equal(file, await File.ReadAllTextAsync(director.RulesFile, TestContext.Current.CancellationToken));
        Assert.Equal("rr", director.Table.Table.Services[0].Config.Scheduler);
    }

    private static string Save(TestDirector director)
    {
        var writer = new StringWriter();
        IpvsListing.WriteSave(writer, ListingSnapshot.FromServiceTable(director.Table.Table), ListOptions.Numeric);
        return writer.ToString();
    }
}
