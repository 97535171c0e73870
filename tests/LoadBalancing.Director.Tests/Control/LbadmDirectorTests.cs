using LoadBalancing.Director.Tests.Fakes;

namespace LoadBalancing.Director.Tests.Control;

/// <summary><c>lbadm --director</c> and <c>lbadm --rules-file</c> given the same commands print the same bytes.</summary>
public sealed class LbadmDirectorTests
{
    private static readonly string[] Session =
    [
        "-A -t 192.168.1.254:80 -s rr",
        "-a -t 192.168.1.254:80 -r 192.168.1.100 -m -w 1",
        "-a -t 192.168.1.254:80 -r 192.168.1.101:8080 -g -w 3 -x 200 -y 100",
        "-A -u [2001:db8::1]:53 -s sh -b sh-port -p 120 -M 64",
        "-a -u [2001:db8::1]:53 -r [2001:db8::10]:53 -i -w 2",
        "-A -f 7 -s mh -b mh-fallback",
        "-a -f 7 -r 10.0.0.31 -g",
        "-E -t 192.168.1.254:80 -s wlc",
        "-e -t 192.168.1.254:80 -r 192.168.1.100:80 -m -w 4",
        "--set 900 60 300",
    ];

    private static readonly string[] Views =
    [
        "-Ln", "-L", "-ln --stats", "-Ln --rate", "-Ln --exact --stats", "-Ln --thresholds", "-Ln --persistent-conn",
        "-Ln --sort", "-Sn", "-S", "-L --timeout", "-Lnc", "-Ln -t 192.168.1.254:80", "-Ln -t 10.9.9.9:1", "--json -Ln",
        "-A -t 192.168.1.254:80", "-d -t 192.168.1.254:80 -r 10.1.1.1:80", "-D -u 10.0.0.1:53", "-a -f 9 -r 10.0.0.1",
        "--watch --count 1",
    ];

    [Fact]
    public async Task Lbadm_SameSession_SameOutputOnBothTargets()
    {
        await using var director = await TestDirector.StartAsync();
        var file = Path.Combine(director.Directory, "other.rules");
        foreach (var line in Session)
        {
            Assert.Equal(director.LbadmFile(file, line), director.Lbadm(line));
        }

        foreach (var view in Views)
        {
            var expected = director.LbadmFile(file, view);
            Assert.Equal(expected, director.Lbadm(view));
        }

        // lbadm diff reads either target the same way.
        const string Wanted = "-A -t 192.168.1.254:80 -s rr\n-a -t 192.168.1.254:80 -r 192.168.1.100:80 -m -w 1\n";
        var diff = director.Lbadm("diff -", Wanted);
        Assert.Equal(1, diff.ExitCode);
        Assert.StartsWith("~ -E -t 192.168.1.254:80 -s rr\n", diff.Stdout, StringComparison.Ordinal);
        Assert.Equal(director.LbadmFile(file, "diff -", Wanted), diff);

        var saved = director.Lbadm("-Sn").Stdout;
        Assert.Equal(director.LbadmFile(file, "-C"), director.Lbadm("-C"));
        Assert.Equal(director.LbadmFile(file, "-R", saved), director.Lbadm("-R", saved));
        Assert.Equal(director.LbadmFile(file, "-R", saved), director.Lbadm("-R", saved));
        Assert.Equal(director.LbadmFile(file, "-Ln"), director.Lbadm("-Ln"));
        Assert.Equal(new Lbadm.Result(0, "", ""), director.Lbadm("diff -", saved));
    }
}
