using LoadBalancing.Model;
using LoadBalancing.Rules;
using static LoadBalancing.Tests.Fakes.Rules;

namespace LoadBalancing.Tests.Rules;

public sealed class RuleParserTests
{
    [Fact]
    public void ParseArguments_BareServerAddress_InheritsServicePort()
    {
        var command = Parse("-a -t 192.168.1.254:80 -r 192.168.1.100 -m -w 1");

        Assert.Equal(RuleCommandKind.AddServer, command.Kind);
        Assert.Equal((ushort)80, command.Server!.Port);
        Assert.Equal(ForwardingMethod.Masquerade, command.Server.Method);
    }

    [Fact]
    public void ParseArguments_DirectRouting_ForcesServicePort()
    {
        // -g and -i cannot change the port: ipvsadm overwrites whatever was typed.
        Assert.Equal((ushort)80, Parse("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -g").Server!.Port);
        Assert.Equal((ushort)8080, Parse("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m").Server!.Port);
    }

    [Fact]
    public void ParseArguments_BundledShortOptions_AreSplitLikePopt()
    {
        var list = Parse("-Ln --stats");
        Assert.Equal(RuleCommandKind.List, list.Kind);
        Assert.Equal(ListOptions.Numeric | ListOptions.Stats, list.ListOptions);

        var add = Parse("-At10.0.0.1:80 -p30");
        Assert.Equal(TimeSpan.FromSeconds(30), add.ServiceConfig!.PersistenceTimeout);
    }

    [Fact]
    public void ParseArguments_BarePersistent_Is360Seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(360), Parse("-A -t 10.0.0.1:80 -p -s rr").ServiceConfig!.PersistenceTimeout);
        Assert.Equal(TimeSpan.FromSeconds(360), Parse("-A -t 10.0.0.1:80 -p").ServiceConfig!.PersistenceTimeout);
    }

    [Fact]
    public void ParseArguments_PortName_ResolvedForServiceProtocol()
    {
        Assert.Equal((ushort)53, Parse("-A -u 10.0.0.1:domain").Service!.Value.Port);
        Assert.Equal((ushort)80, Parse("-A -t 10.0.0.1:www").Service!.Value.Port);

        // http is tcp-only in netbase 6.x.
        Assert.Throws<RuleParseException>(() => Parse("-A -u 10.0.0.1:http"));
    }

    [Fact]
    public void ParseArguments_Netmask_BecomesPrefixLength()
    {
        Assert.Equal(24, Parse("-A -t 10.0.0.1:80 -p -M 255.255.255.0").ServiceConfig!.PersistencePrefixLength);
        Assert.Equal(64, Parse("-A -t [2001:db8::1]:80 -p -M 64").ServiceConfig!.PersistencePrefixLength);
        Assert.Null(Parse("-A -t 10.0.0.1:80 -p -M 255.255.255.255").ServiceConfig!.PersistencePrefixLength);
    }

    [Theory]
    [InlineData("-A -t 10.0.0.1:80 -s rr -w 1", "Illegal 'weight' option with the 'add-service' command", 2, 25)]
    [InlineData("-a -t 10.0.0.1:80 -r 10.0.0.2 -w 70000", "illegal weight specified", 2, 34)]
    [InlineData("-A -t 10.0.0.1", "Zero port specified for non-persistent service", 2, 4)]
    [InlineData("-A -u 10.0.0.1:53 -b sh-port", "incompatible scheduler flag `sh-port'", 2, 22)]
    [InlineData("-A -t 10.0.0.1:80 -o", "One-Packet Scheduling is only for UDP virtual services", 2, 19)]
    [InlineData("-a -t 10.0.0.1:80", "You need to supply the 'real-server' option for the 'add-server' command", 2, 18)]
    [InlineData("-a -t [2001:db8::1]:80 -r 10.0.0.2 -m", "Different address family is allowed only for tunneling servers", 2, 24)]
    [InlineData("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue", "You need to supply the 'tun-port' option for the 'gue' tunnel type", 2, 48)]
    [InlineData("-a -t 10.0.0.1:80 -r 10.0.0.2 -m --tun-csum", "Tunnel options conflict with forward method", 2, 34)]
    [InlineData("-A -t 10.0.0.1:80 -s rr -s wrr", "multiple 'scheduler' options specified", 2, 25)]
    [InlineData("-A -t 10.0.0.1:80 -D", "invalid option `-D'", 2, 19)]
    [InlineData("-A -t 10.0.0.1:80 foo", "unexpected argument foo", 2, 19)]
    [InlineData("-A -t 80", "illegal virtual server address[:port] specified", 2, 7)]
    [InlineData("-A -t 10.0.0.1:80 --bogus", "--bogus: unknown option", 255, 19)]
    [InlineData("-A -t", "-t: missing argument", 255, 4)]
    [InlineData("-t 10.0.0.1:80 -A", "Try `lbadm -h' or 'lbadm --help' for more information.", 255, 1)]
    [InlineData("-Ln -c --stats", "options conflicts in the list command", 2, 1)]
    [InlineData("-L -c --timeout", "The option 'timeout' conflicts with the 'connection' option in the 'list' command", 2, 7)]
    public void ParseArguments_Invalid_ThrowsIpvsadmMessageWithColumn(string line, string message, int exitCode, int column)
    {
        var e = Assert.Throws<RuleParseException>(() => Parse(line));

        Assert.Equal(message, e.Message);
        Assert.Equal(exitCode, e.ExitCode);
        Assert.Equal(column, e.Column);
        Assert.False(string.IsNullOrEmpty(e.Expected));
    }

    [Fact]
    public void ParseRestore_BadLine_NamesLineAndColumn()
    {
        const string Text = """
            -A -t 10.0.0.1:80 -s rr
            # a comment, as ipvsadm-restore allows
            -a -t 10.0.0.1:80 -r 10.0.0.2 -w x
            """;

        var e = Assert.Throws<RuleParseException>(() => RuleParser.ParseRestore(new StringReader(Text), ServiceNameTable.BuiltIn));

        Assert.Equal(3, e.Line);
        Assert.Equal(34, e.Column);
        Assert.Equal("line 3, column 34: illegal weight specified (expected a weight from 0 to 65535)", e.ToLocatedString());
    }

    [Fact]
    public void ParseLine_IpvsadmPrefixAndCrLf_AreAccepted()
    {
        var command = RuleParser.ParseLine("ipvsadm -A -t 10.0.0.1:80 -s rr\r", 1, ServiceNameTable.BuiltIn);

        Assert.Equal("rr", command!.ServiceConfig!.Scheduler);
    }

    [Fact]
    public void ParseLine_ListCommand_IsRefusedInRestore()
    {
        var e = Assert.Throws<RuleParseException>(() => RuleParser.ParseLine("-L -n", 4, ServiceNameTable.BuiltIn));

        Assert.Equal(4, e.Line);
    }
}
