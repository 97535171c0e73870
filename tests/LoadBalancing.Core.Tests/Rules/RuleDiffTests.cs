using CsCheck;
using LoadBalancing.Model;
using LoadBalancing.Rules;
using static LoadBalancing.Tests.Fakes.Rules;

namespace LoadBalancing.Tests.Rules;

public sealed class RuleDiffTests
{
    private const string Current = """
        -A -t 10.0.0.1:80 -s rr
        -a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 1
        -a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 2
        -A -t 10.0.0.1:443 -s wlc -p 300
        -a -t 10.0.0.1:443 -r 10.0.1.1:443 -g -w 1
        -A -u 10.0.0.1:53 -s sh
        """;

    [Fact]
    public void Compare_SameTables_IsEmpty()
    {
        Assert.Empty(RuleDiff.Compare(Restore(Current), Restore(Current)));
    }

    [Fact]
    public void Compare_ChangedTables_ListsIpvsadmCommandsInListingOrder()
    {
        var target = Restore("""
            --set 900 60 300
            -A -t 10.0.0.1:80 -s wrr
            -a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 2 -x 100
            -a -t 10.0.0.1:80 -r 10.0.1.3:80 -m -w 1
            -A -t 10.0.0.1:443 -s wlc -p 300
            -a -t 10.0.0.1:443 -r 10.0.1.1:443 -g -w 1
            -A -f 7 -s mh -b mh-port
            -a -f 7 -r 10.0.1.9:0 -g -w 3
            """);

        Assert.Equal(
            [
                "~ --set 900 60 300",
                "~ -E -t 10.0.0.1:80 -s wrr",
                "~ -e -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 2 -x 100",
                "- -d -t 10.0.0.1:80 -r 10.0.1.2:80",
                "+ -a -t 10.0.0.1:80 -r 10.0.1.3:80 -m -w 1",
                "- -D -u 10.0.0.1:53",
                "+ -A -f 7 -s mh -b mh-port",
                "+ -a -f 7 -r 10.0.1.9:0 -g -w 3",
            ],
            RuleDiff.Compare(Restore(Current), target).Select(d => d.ToString()));
    }

    [Fact]
    public void Compare_AppliedToCurrent_GivesTarget()
    {
        // Any two tables drawn from the same pool of services and servers: the diff's commands, run in order on
        // the first, must give the second (compared as the rules file writes them, order-insensitively).
        var services = new[] { "-t 10.0.0.1:80", "-t 10.0.0.2:80", "-u 10.0.0.1:53", "-t [2001:db8::1]:443", "-f 5" };
        var server = Gen.Select(Gen.Int[1, 4], Gen.Int[0, 1].Select(i => i == 0 ? "-g" : "-m"), Gen.Int[0, 3], Gen.Int[0, 1]);
        var service = Gen.Select(Gen.Int[0, services.Length - 1], Gen.Int[0, 2].Select(i => new[] { "rr", "wlc", "sh" }[i]), Gen.Bool, server.Array[0, 4]);
        var table = Gen.Select(service.Array[0, 5], Gen.Int[0, 2]);

        Gen.Select(table, table).Sample(
            pair =>
            {
                var current = Restore(Render(pair.Item1));
                var target = Restore(Render(pair.Item2));

                var differences = RuleDiff.Compare(current, target);
                var applied = current;
                foreach (var d in differences)
                {
                    applied = RuleEditor.Apply(applied, RuleParser.ParseLine(d.Rule, 1, ServiceNameTable.Empty)!);
                }

                Assert.Equal(Normalize(target), Normalize(applied));
                Assert.Equal(Normalize(current) == Normalize(target), differences.Count == 0);
            },
            iter: 300);

        string Render(((int Service, string Scheduler, bool Persistent, (int Host, string Method, int Weight, int Threshold)[] Servers)[] Services, int Timeouts) t)
        {
            var lines = new List<string>();
            if (t.Timeouts > 0)
            {
                lines.Add($"--set {t.Timeouts * 100} 0 0");
            }

            foreach (var s in t.Services.DistinctBy(s => s.Service))
            {
                var spec = services[s.Service];
                lines.Add($"-A {spec} -s {s.Scheduler}{(s.Persistent ? " -p 60" : "")}");
                foreach (var r in s.Servers.DistinctBy(r => r.Host))
                {
                    var address = spec.Contains('[', StringComparison.Ordinal) ? $"[2001:db8::{r.Host + 10}]:443" : $"10.0.1.{r.Host}";
                    lines.Add($"-a {spec} -r {address} {r.Method} -w {r.Weight}{(r.Threshold > 0 ? " -x 50" : "")}");
                }
            }

            return string.Join('\n', lines);
        }
    }

    private static string Normalize(LoadBalancerConfig config)
        => RulesFile.Render(config with
        {
            Services = [.. config.Services.OrderBy(s => s.Key.ToString(), StringComparer.Ordinal)
                .Select(s => s with { RealServers = [.. s.RealServers.OrderBy(r => r.Address.ToString(), StringComparer.Ordinal).ThenBy(r => r.Port)] })],
        });
}
