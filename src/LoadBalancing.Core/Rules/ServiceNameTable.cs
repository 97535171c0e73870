using System.Globalization;
using LoadBalancing.Model;

namespace LoadBalancing.Rules;

/// <summary>
/// Port names as <c>getservbyname</c>/<c>getservbyport</c> give them from <c>/etc/services</c>: a name or alias
/// resolves to the first matching entry for the protocol; a port prints as the first entry's official name.
/// </summary>
public sealed class ServiceNameTable
{
    // A few Debian netbase 6.x entries, used when /etc/services is absent. Order and protocols as in netbase,
    // so getservbyport picks the same official name (e.g. 80 is http only for tcp since netbase 6.0).
    private const string BuiltInText = """
        ftp             21/tcp
        ssh             22/tcp
        telnet          23/tcp
        smtp            25/tcp          mail
        domain          53/tcp
        domain          53/udp
        http            80/tcp          www
        pop3            110/tcp         pop-3
        ntp             123/udp
        imap2           143/tcp         imap
        snmp            161/tcp
        snmp            161/udp
        ldap            389/tcp
        https           443/tcp
        https           443/udp
        submission      587/tcp
        imaps           993/tcp
        pop3s           995/tcp
        mysql           3306/tcp
        sip             5060/tcp
        sip             5060/udp
        mdns            5353/udp
        http-alt        8080/tcp        webcache
        tproxy          8081/tcp
        """;

    private static readonly Lazy<ServiceNameTable> LazyDefault = new(LoadDefault);

    private readonly List<Entry> _entries;

    private ServiceNameTable(List<Entry> entries)
    {
        _entries = entries;
    }

    /// <summary>Gets the built-in table (a few common netbase names), independent of the machine.</summary>
    public static ServiceNameTable BuiltIn { get; } = Parse(new StringReader(BuiltInText));

    /// <summary>Gets <c>/etc/services</c> when it can be read, otherwise <see cref="BuiltIn"/>.</summary>
    public static ServiceNameTable Default => LazyDefault.Value;

    /// <summary>Gets a table with no names: every port prints as a number.</summary>
    public static ServiceNameTable Empty { get; } = new([]);

    /// <summary>Parses text in <c>/etc/services</c> format (<c>name port/proto [aliases...] [# comment]</c>).</summary>
    /// <param name="reader">The text.</param>
    /// <returns>The table.</returns>
    public static ServiceNameTable Parse(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var entries = new List<Entry>();
        while (reader.ReadLine() is { } line)
        {
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
            {
                line = line[..hash];
            }

            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2)
            {
                continue;
            }

            var slash = fields[1].IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0
                || !ushort.TryParse(fields[1].AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                continue;
            }

            entries.Add(new Entry(fields[0], port, fields[1][(slash + 1)..], fields[2..]));
        }

        return new ServiceNameTable(entries);
    }

    /// <summary>Looks a name or alias up for a protocol (<c>getservbyname</c>).</summary>
    /// <param name="name">The service name, e.g. <c>http</c>.</param>
    /// <param name="protocol">The protocol.</param>
    /// <param name="port">The port when found.</param>
    /// <returns>Whether the name is known for that protocol.</returns>
    public bool TryGetPort(string name, ServiceProtocol protocol, out ushort port)
    {
        var proto = ProtocolName(protocol);
        foreach (var entry in _entries)
        {
            if (entry.Protocol == proto && (entry.Name == name || entry.Aliases.Contains(name)))
            {
                port = entry.Port;
                return true;
            }
        }

        port = 0;
        return false;
    }

    /// <summary>Finds the official name of a port for a protocol (<c>getservbyport</c>).</summary>
    /// <param name="port">The port.</param>
    /// <param name="protocol">The protocol.</param>
    /// <returns>The name, or <see langword="null"/> when the port has none.</returns>
    public string? GetName(ushort port, ServiceProtocol protocol)
    {
        var proto = ProtocolName(protocol);
        foreach (var entry in _entries)
        {
            if (entry.Port == port && entry.Protocol == proto)
            {
                return entry.Name;
            }
        }

        return null;
    }

    private static string ProtocolName(ServiceProtocol protocol) => protocol switch
    {
        ServiceProtocol.Tcp => "tcp",
        ServiceProtocol.Udp => "udp",
        ServiceProtocol.Sctp => "sctp",
        _ => "",
    };

    private static ServiceNameTable LoadDefault()
    {
        try
        {
            using var reader = new StreamReader("/etc/services");
            return Parse(reader);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return BuiltIn;
        }
    }

    private sealed record Entry(string Name, ushort Port, string Protocol, string[] Aliases);
}
