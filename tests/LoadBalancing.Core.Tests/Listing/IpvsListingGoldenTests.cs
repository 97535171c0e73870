using LoadBalancing.Listing;
using LoadBalancing.Model;
using LoadBalancing.Rules;
using static LoadBalancing.Tests.Fakes.Rules;

namespace LoadBalancing.Tests.Listing;

/// <summary>
/// Every listing variant of the issue against golden files. The files were written by an independent model of
/// ipvsadm 1.31's printf formats (print_title, print_service_entry, print_largenum, list_conn, print_conn), not by
/// this code; options come from parsing the command line, so the option spelling is covered too.
/// </summary>
public sealed class IpvsListingGoldenTests
{
    // Kernel order: services as added, each service's servers newest first (10.0.0.12 before 10.0.0.11).
    private const string Table = """
        --set 1000 0 30
        -A -u 192.168.1.254:53 -s sh -b sh-port -p 60
        -a -u 192.168.1.254:53 -r 10.0.0.21:53 -m -w 2
        -A -t 192.168.1.254:80 -s wlc
        -a -t 192.168.1.254:80 -r 10.0.0.11:80 -m -w 3 -x 100 -y 50
        -a -t 192.168.1.254:80 -r 10.0.0.12:8080 -m -w 1
        -A -f 1 -s rr
        -a -f 1 -r 10.0.0.31:0 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
        """;

    [Theory]
    [InlineData("list-numeric", "-L -n")]
    [InlineData("list-numeric", "-ln")]
    [InlineData("list-numeric", "-Ln --sort")]
    [InlineData("list-numeric", "--list --numeric")]
    [InlineData("list-names", "-L")]
    [InlineData("list-names", "-l")]
    [InlineData("stats", "-L -n --stats")]
    [InlineData("stats-exact", "-Ln --stats --exact")]
    [InlineData("rate", "-Ln --rate")]
    [InlineData("rate-exact", "-Ln --rate --exact")]
    [InlineData("thresholds", "-Ln --thresholds")]
    [InlineData("persistent-conn", "-Ln --persistent-conn")]
    [InlineData("tun-info", "-Ln --tun-info")]
    [InlineData("nosort", "-Ln --nosort")]
    [InlineData("one-service-stats", "-Ln --stats -t 192.168.1.254:80")]
    [InlineData("save-numeric", "-S -n")]
    [InlineData("save-names", "-S")]
    [InlineData("timeout", "-L --timeout")]
    [InlineData("connections-numeric", "-L -c -n")]
    [InlineData("connections-numeric", "-lnc")]
    [InlineData("connections-names", "-L -c")]
    [InlineData("connections-persistent-conn", "-Lnc --persistent-conn")]
    public void Listing_Variant_MatchesGoldenFile(string golden, string commandLine)
    {
        var command = Parse(commandLine);
        var snapshot = Snapshot();
        var writer = new StringWriter();

        if (command.Kind == RuleCommandKind.Save)
        {
            IpvsListing.WriteSave(writer, snapshot, command.ListOptions, ServiceNameTable.BuiltIn);
        }
        else if ((command.ListOptions & ListOptions.Connections) != 0)
        {
            IpvsListing.WriteConnections(writer, Connections(), command.ListOptions, ServiceNameTable.BuiltIn);
        }
        else if ((command.ListOptions & ListOptions.Timeouts) != 0)
        {
            IpvsListing.WriteTimeouts(writer, snapshot.Timeouts);
        }
        else
        {
            Assert.True(IpvsListing.WriteList(writer, snapshot, command.ListOptions, command.Service, ServiceNameTable.BuiltIn));
        }

        Assert.Equal(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Listing", "Golden", golden + ".txt")), writer.ToString());
    }

    private static ListingSnapshot Snapshot()
    {
        var snapshot = ListingSnapshot.FromConfig(Restore(Table));
        var (udp, tcp, fwm) = (snapshot.Services[0], snapshot.Services[1], snapshot.Services[2]);
        var small = new ListingCounters(5000, 5000, 4999, 320000, 640000);
        var edges = new ListingCounters(99999999, 100000000, 1000000000, 99999999999, 100000000000000);
        return snapshot with
        {
            Services =
            [
                udp with
                {
                    Stats = small,
                    Rates = new ListingCounters(3, 3, 3, 192, 384),
                    RealServers = [udp.RealServers[0] with { InactiveConnections = 17, PersistentConnections = 2, Stats = small, Rates = new ListingCounters(3, 3, 3, 192, 384) }],
                },
                tcp with
                {
                    Stats = new ListingCounters(123456789, 987654321, 0, 98765432109, 1234567890123),
                    Rates = new ListingCounters(1200, 23000, 0, 2500000, 0),
                    RealServers =
                    [
                        tcp.RealServers[0] with
                        {
                            InactiveConnections = 7,
                            Stats = new ListingCounters(61728395, 493827161, 0, 49382716055, 617283945062),
                            Rates = new ListingCounters(600, 11500, 0, 1250000, 0),
                        },
                        tcp.RealServers[1] with
                        {
                            ActiveConnections = 12,
                            InactiveConnections = 34,
                            PersistentConnections = 5,
                            Stats = new ListingCounters(61728394, 493827160, 0, 49382716054, 617283945061),
                            Rates = new ListingCounters(600, 11500, 0, 1250000, 0),
                        },
                    ],
                },
                fwm with
                {
                    Stats = edges,
                    RealServers = [fwm.RealServers[0] with { ActiveConnections = 1, Stats = edges }],
                },
            ],
        };
    }

    // lvs-reference.md §2.9 (h), plus an IPv6 row whose endpoints overflow their columns and expire past 99 minutes.
    private static ListedConnection[] Connections() =>
    [
        Connection(ServiceProtocol.Tcp, 897, "ESTABLISHED", "198.51.100.20", 54321, "192.168.1.254", 80, "10.0.0.11", 80),
        Connection(ServiceProtocol.Tcp, 599, "NONE", "198.51.100.0", 0, "192.168.1.254", 80, "10.0.0.11", 80),
        Connection(null, 355, "NONE", "198.51.100.23", 0, "0.0.0.1", 0, "10.0.0.31", 0),
        Connection(ServiceProtocol.Udp, 28, "UDP", "198.51.100.25", 5060, "192.168.1.253", 5060, "10.0.0.33", 5060) with
        {
            PersistenceEngine = "sip",
            PersistenceData = "6b6f6d6140657861",
        },
        Connection(ServiceProtocol.Tcp, 6000, "FIN_WAIT", "2001:db8::7", 40000, "2001:db8::80", 80, "2001:db8::a0a0", 8080),
    ];

    private static ListedConnection Connection(ServiceProtocol? protocol, uint expires, string state, string client, ushort clientPort, string vip, ushort vport, string dest, ushort dport) => new()
    {
        Protocol = protocol,
        ExpiresSeconds = expires,
        State = state,
        ClientAddress = NetworkAddress.Parse(client),
        ClientPort = clientPort,
        VirtualAddress = NetworkAddress.Parse(vip),
        VirtualPort = vport,
        DestinationAddress = NetworkAddress.Parse(dest),
        DestinationPort = dport,
    };
}
