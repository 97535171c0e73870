using LoadBalancing.Listing;
using LoadBalancing.Model;
using LoadBalancing.Rules;
using static LoadBalancing.Tests.Fakes.Rules;

namespace LoadBalancing.Tests.Listing;

/// <summary>Golden listings from lvs-reference.md §2.9, whose lines come from ipvsadm 1.31's printf formats.</summary>
public sealed class IpvsListingTests
{
    // The web-dr example, restored with servers in scrambled order so the sort is exercised.
    private const string WebDr = """
        -A -t 203.0.113.10:443 -s wrr -p 300
        -a -t 203.0.113.10:443 -r 10.10.0.14:443 -g -w 0
        -a -t 203.0.113.10:443 -r 10.10.0.11:443 -g -w 3
        -a -t 203.0.113.10:443 -r 10.10.0.13:443 -g -w 1
        -a -t 203.0.113.10:443 -r 10.10.0.12:443 -g -w 3
        -A -t 203.0.113.10:80 -s wlc
        -a -t 203.0.113.10:80 -r 10.10.0.12:80 -g -w 100
        -a -t 203.0.113.10:80 -r 10.10.0.11:80 -g -w 100
        -a -t 203.0.113.10:80 -r 10.10.0.14:80 -g -w 0
        -a -t 203.0.113.10:80 -r 10.10.0.13:80 -g -w 50
        """;

    private const string Mixed = """
        -A -t 192.168.1.254:80 -p
        -A -u 192.168.1.253:5060 -s rr -p 30 --pe sip -o
        -A -u 192.168.1.254:0 -s rr -p 30 -o
        -A -u 192.168.1.254:53 -s sh -b sh-fallback,sh-port
        -A --sctp-service 192.168.1.254:3868 -s rr
        -A -t [2001:db8::80]:80 -s rr -p 120 -M 64
        -a -t [2001:db8::80]:80 -r [2001:db8::a0a0]:80 -m -w 5
        -a -t [2001:db8::80]:80 -r 192.0.2.9:80 -i -w 1
        -A -f 1 -s mh -b mh-port
        -a -f 1 -r 10.0.0.31:0 -g -w 1
        -A -f 7 -6 -s wrr
        -a -f 7 -6 -r [2001:db8::1]:0 -g -w 2
        """;

    [Fact]
    public void WriteList_WebDrNumeric_MatchesExampleA()
    {
        Assert.Equal(
            Lines(
                "IP Virtual Server version 1.2.1 (size=4096)$",
                "Prot LocalAddress:Port Scheduler Flags$",
                "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn$",
                "TCP  203.0.113.10:80 wlc$",
                "  -> 10.10.0.11:80                Route   100    0          0         $",
                "  -> 10.10.0.12:80                Route   100    0          0         $",
                "  -> 10.10.0.13:80                Route   50     0          0         $",
                "  -> 10.10.0.14:80                Route   0      0          0         $",
                "TCP  203.0.113.10:443 wrr persistent 300$",
                "  -> 10.10.0.11:443               Route   3      0          0         $",
                "  -> 10.10.0.12:443               Route   3      0          0         $",
                "  -> 10.10.0.13:443               Route   1      0          0         $",
                "  -> 10.10.0.14:443               Route   0      0          0         $"),
            List(Restore(WebDr), ListOptions.Numeric));
    }

    [Fact]
    public void WriteList_FlagsPersistenceIpv6Fwmark_MatchesExampleB()
    {
        const string Pad = "         ";
        Assert.Equal(
            Lines(
                "IP Virtual Server version 1.2.1 (size=4096)",
                "Prot LocalAddress:Port Scheduler Flags",
                "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
                "TCP  192.168.1.254:80 wlc persistent 360",
                "UDP  192.168.1.253:5060 rr persistent 30 pe sip ops",
                "UDP  192.168.1.254:0 rr persistent 30 ops",
                "UDP  192.168.1.254:53 sh (sh-fallback,sh-port)",
                "SCTP 192.168.1.254:3868 rr",
                "TCP  [2001:db8::80]:80 rr persistent 120 mask 64",
                "  -> 192.0.2.9:80                 Tunnel  1      0          0" + Pad,
                "  -> [2001:db8::a0a0]:80          Masq    5      0          0" + Pad,
                "FWM  1 mh (mh-port)",
                "  -> 10.0.0.31:0                  Route   1      0          0" + Pad,
                "FWM  7 IPv6 wrr",
                "  -> [2001:db8::1]:0              Route   2      0          0" + Pad),
            List(Restore(Mixed), ListOptions.Numeric));
    }

    [Fact]
    public void WriteSave_FlagsPersistenceIpv6Fwmark_MatchesExampleBSaveLines()
    {
        Assert.Equal(
            Lines(
                "-A -t 192.168.1.254:80 -s wlc -p 360",
                "-A -u 192.168.1.253:5060 -s rr -p 30 --pe sip -o",
                "-A -u 192.168.1.254:0 -s rr -p 30 -o",
                "-A -u 192.168.1.254:53 -s sh -b sh-fallback,sh-port",
                "-A --sctp-service 192.168.1.254:3868 -s rr",
                "-A -t [2001:db8::80]:80 -s rr -p 120 -M 64",
                "-a -t [2001:db8::80]:80 -r 192.0.2.9:80 -i -w 1 --tun-type ipip",
                "-a -t [2001:db8::80]:80 -r [2001:db8::a0a0]:80 -m -w 5",
                "-A -f 1 -s mh -b mh-port",
                "-a -f 1 -r 10.0.0.31:0 -g -w 1",
                "-A -f 7 -6 -s wrr",
                "-a -f 7 -6 -r [2001:db8::1]:0 -g -w 2"),
            Save(Restore(Mixed), ListOptions.Numeric));
    }

    [Fact]
    public void WriteSave_SaveOutput_RestoresToSameSave()
    {
        var config = Restore(Mixed);
        var saved = Save(config, ListOptions.Numeric);

        Assert.Equal(saved, Save(Restore(saved), ListOptions.Numeric));
        Assert.Equal(saved, Save(Restore(Save(config, ListOptions.None)), ListOptions.Numeric));
    }

    [Fact]
    public void WriteSave_Names_MatchesExampleG()
    {
        var saved = Save(Restore(WebDr), ListOptions.None);

        Assert.StartsWith(
            Lines("-A -t 203.0.113.10:http -s wlc", "-a -t 203.0.113.10:http -r 10.10.0.11:http -g -w 100"),
            saved,
            StringComparison.Ordinal);
        Assert.Contains("-A -t 203.0.113.10:https -s wrr -p 300\n", saved, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteSave_TunnelTypes_MatchesExampleG()
    {
        var config = Restore("""
            -A -t 192.0.2.40:80 -s wrr
            -a -t 192.0.2.40:80 -r 10.40.1.11 -i -w 4
            -a -t 192.0.2.40:80 -r 10.40.4.11:80 -i -w 1 --tun-type gue --tun-port 6081 --tun-nocsum
            -a -t 192.0.2.40:80 -r 10.40.5.11 -i --tun-type gre --tun-csum
            """);

        Assert.Equal(
            Lines(
                "-A -t 192.0.2.40:80 -s wrr",
                "-a -t 192.0.2.40:80 -r 10.40.1.11:80 -i -w 4 --tun-type ipip",
                "-a -t 192.0.2.40:80 -r 10.40.4.11:80 -i -w 1 --tun-type gue --tun-port 6081 --tun-nocsum",
                "-a -t 192.0.2.40:80 -r 10.40.5.11:80 -i -w 1 --tun-type gre --tun-csum"),
            Save(config, ListOptions.Numeric));
    }

    [Fact]
    public void WriteList_TunnelInfo_MatchesExampleE()
    {
        var config = Restore("""
            -A -t 192.0.2.40:80 -s wrr
            -a -t 192.0.2.40:80 -r 10.40.2.11:80 -i -w 4 --tun-type gue --tun-port 6080 --tun-csum
            -a -t 192.0.2.40:80 -r 10.40.3.11:80 -m -w 1
            """);

        Assert.Equal(
            Lines(
                "IP Virtual Server version 1.2.1 (size=4096)",
                "Prot LocalAddress:Port Scheduler Flags",
                "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn",
                "TCP  192.0.2.40:80 wrr",
                "  -> 10.40.2.11:80                Tunnel  gue:6080:+c   4      0          0         $",
                "  -> 10.40.3.11:80                Masq    n/a           1      0          0         $"),
            List(config, ListOptions.Numeric | ListOptions.TunnelInfo));
    }

    [Fact]
    public void WriteList_PersistentConnOneService_MatchesExampleF()
    {
        var snapshot = ListingSnapshot.FromConfig(Restore(WebDr));
        var key = Parse("-L -t 203.0.113.10:443").Service;

        var text = List(snapshot, ListOptions.Numeric | ListOptions.PersistentConnections, key);

        Assert.StartsWith(
            Lines(
                "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn $",
                "  -> RemoteAddress:Port",
                "TCP  203.0.113.10:443 wrr persistent 300",
                "  -> 10.10.0.11:443               3         0           0          0         $"),
            text,
            StringComparison.Ordinal);
    }

    [Fact]
    public void WriteList_Thresholds_PrintsThresholdColumns()
    {
        var config = Restore("""
            -A -t 10.0.0.1:80 -s wlc
            -a -t 10.0.0.1:80 -r 10.0.0.2:80 -x 100 -y 50
            """);

        Assert.Equal(
            Lines(
                "IP Virtual Server version 1.2.1 (size=4096)",
                "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn $",
                "  -> RemoteAddress:Port",
                "TCP  10.0.0.1:80 wlc",
                "  -> 10.0.0.2:80                  100        50         0          0         $"),
            List(config, ListOptions.Numeric | ListOptions.Thresholds));
    }

    [Fact]
    public void WriteList_NamesWithoutNumeric_MatchesExampleC()
    {
        var config = Restore("""
            -A -t 198.51.100.20:80 -s wrr
            -a -t 198.51.100.20:80 -r 172.16.20.11:8080 -m -w 5
            -A -u 198.51.100.20:53 -s sh -b sh-fallback,sh-port
            -a -u 198.51.100.20:53 -r 172.16.20.55:5353 -m -w 2
            """);

        var text = List(config, ListOptions.None);

        Assert.Contains("TCP  198.51.100.20:http wrr\n", text, StringComparison.Ordinal);
        Assert.Contains("  -> 172.16.20.11:http-alt        Masq    5      0          0         \n", text, StringComparison.Ordinal);
        Assert.Contains("UDP  198.51.100.20:domain sh (sh-fallback,sh-port)\n", text, StringComparison.Ordinal);
        Assert.Contains("  -> 172.16.20.55:mdns            Masq    2      0          0         \n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteList_StatsRateExact_MatchExampleD()
    {
        var snapshot = StatsSnapshot();
        const string Title = "IP Virtual Server version 1.2.1 (size=4096)";

        Assert.Equal(
            Lines(
                Title,
                "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes",
                "  -> RemoteAddress:Port",
                "TCP  192.168.1.254:80              123456K  987654K        0   98765M    1234G",
                "  -> 10.0.0.11:80                 61728394  493827K        0   49382M     617G",
                "  -> 10.0.0.12:80                 61728395  493827K        0   49382M     617G"),
            List(snapshot, ListOptions.Numeric | ListOptions.Stats));
        Assert.Equal(
            Lines(
                Title,
                "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes",
                "  -> RemoteAddress:Port",
                "TCP  192.168.1.254:80             123456789 987654321        0 98765432109 1234567890123",
                "  -> 10.0.0.11:80                 61728394 493827160        0 49382716054 617283945061",
                "  -> 10.0.0.12:80                 61728395 493827161        0 49382716055 617283945062"),
            List(snapshot, ListOptions.Numeric | ListOptions.Stats | ListOptions.Exact));
        Assert.Equal(
            Lines(
                Title,
                "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS",
                "  -> RemoteAddress:Port",
                "TCP  192.168.1.254:80                 1200    23000        0  2500000        0",
                "  -> 10.0.0.11:80                      600    11500        0  1250000        0",
                "  -> 10.0.0.12:80                      600    11500        0  1250000        0"),
            List(snapshot, ListOptions.Numeric | ListOptions.Rate));
    }

    [Fact]
    public void Order_AddressesMoreThanHalfTheCircleApart_SortLikeLibipvs()
    {
        // ipvs_cmp_services subtracts as u32 → int: 172.16.5.10 − 10.1.1.10 ≥ 2^31 is negative, so 10.1.1.10 sorts last.
        var config = Restore("""
            -A -t 10.1.1.10:80 -s rr
            -A -t 192.168.50.10:80 -s rr
            -A -t 172.16.5.10:80 -s rr
            """);

        Assert.Equal(
            Lines("-A -t 172.16.5.10:80 -s rr", "-A -t 192.168.50.10:80 -s rr", "-A -t 10.1.1.10:80 -s rr"),
            Save(config, ListOptions.Numeric));
    }

    [Fact]
    public void WriteList_NoSort_PrintsKernelOrderNewestServerFirst()
    {
        var config = Restore("""
            -A -t 10.0.0.1:80 -s rr
            -a -t 10.0.0.1:80 -r 10.0.0.2:80
            -a -t 10.0.0.1:80 -r 10.0.0.3:80
            """);

        var text = List(config, ListOptions.Numeric | ListOptions.NoSort);

        Assert.True(text.IndexOf("10.0.0.3:80", StringComparison.Ordinal) < text.IndexOf("10.0.0.2:80", StringComparison.Ordinal));
    }

    [Fact]
    public void WriteList_LongIpv4Names_AreCutAt33And28Characters()
    {
        var config = Restore("""
            -A -t 100.100.100.100:65535 -s lblcr -p
            -a -t 100.100.100.100:65535 -r 200.200.200.200:65535 -m
            """);
        var snapshot = ListingSnapshot.FromConfig(config) with { };
        var text = List(snapshot, ListOptions.Numeric | ListOptions.Stats);

        // "TCP  100.100.100.100:65535" is 26 chars: no cut; check the row padding of a 27-char dname instead.
        Assert.Contains("  -> 200.200.200.200:65535      ", text, StringComparison.Ordinal);
    }

    private static ListingSnapshot StatsSnapshot()
    {
        var config = Restore("""
            -A -t 192.168.1.254:80 -s wlc
            -a -t 192.168.1.254:80 -r 10.0.0.11:80
            -a -t 192.168.1.254:80 -r 10.0.0.12:80
            """);
        var snapshot = ListingSnapshot.FromConfig(config);
        var service = snapshot.Services[0];
        ListedRealServer Server(ListedRealServer s, ListingCounters stats) => s with
        {
            Stats = stats,
            Rates = new ListingCounters(600, 11500, 0, 1250000, 0),
        };

        // Kernel order is newest first: .12 then .11.
        return snapshot with
        {
            Services =
            [
                service with
                {
                    Stats = new ListingCounters(123456789, 987654321, 0, 98765432109, 1234567890123),
                    Rates = new ListingCounters(1200, 23000, 0, 2500000, 0),
                    RealServers =
                    [
                        Server(service.RealServers[0], new ListingCounters(61728395, 493827161, 0, 49382716055, 617283945062)),
                        Server(service.RealServers[1], new ListingCounters(61728394, 493827160, 0, 49382716054, 617283945061)),
                    ],
                },
            ],
        };
    }
}
