using LoadBalancing.Director.Tests.Fakes;
using LoadBalancing.Model;

namespace LoadBalancing.Director.Tests.Discovery;

public sealed class StaticDiscoveryTests
{
    [Fact]
    public async Task StaticRules_MergedUnderRulesFile_FileWinsOnSameKey()
    {
        var directory = Directory.CreateTempSubdirectory("lbdir-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "rules"), "-A -t 10.0.0.1:80 -s rr\n", TestContext.Current.CancellationToken);
        await using var director = await TestDirector.StartAsync(directory, o =>
        {
            o.StaticRules.Add("-A -t 10.0.0.1:80 -s lc");
            o.StaticRules.Add("-A -u 10.0.0.1:53 -s sh");
            o.StaticRules.Add("-a -u 10.0.0.1:53 -r 10.0.0.9:53 -m");
        });

        // The static provider runs on its own task; its snapshot is applied once it has been read.
        var services = await WaitForAsync(director, 2);

        Assert.Equal("rr", services[0].Config.Scheduler);
        Assert.Equal("sh", services[1].Config.Scheduler);
        Assert.Single(services[1].Destinations);
    }

    [Fact]
    public async Task SetDiscovered_InvalidMergedTable_RejectedAndRunningTableStays()
    {
        await using var director = await TestDirector.StartAsync();
        director.Lbadm("-A -t 10.0.0.1:80 -s rr");
        var bad = new VirtualServiceConfig { Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse("10.0.0.2"), 80), Scheduler = "nosuch" };

        Assert.False(director.Table.SetDiscovered("test", [bad]));

        Assert.Single(director.Table.Table.Services);
    }

    private static async Task<System.Collections.Immutable.ImmutableArray<Runtime.VirtualServiceState>> WaitForAsync(TestDirector director, int count)
    {
        var changed = new TaskCompletionSource();
        director.Table.Changed += (_, _) => changed.TrySetResult();
        if (director.Table.Table.Services.Length != count)
        {
            await changed.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }

        return director.Table.Table.Services;
    }
}
