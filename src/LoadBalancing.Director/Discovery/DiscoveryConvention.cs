using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using LoadBalancing.Model;

namespace LoadBalancing.Director.Discovery;

/// <summary>
/// How registry entries name virtual services and real servers (Consul and the embedded registry alike; see
/// <c>docs/discovery.md</c>):
/// <list type="bullet">
/// <item>tag <c>lb.vs=PROTO:ADDRESS:PORT</c> (<c>tcp|udp|sctp</c>; IPv6 in brackets: <c>lb.vs=tcp:[2001:db8::1]:443</c>)
/// or <c>lb.vs=fwm:MARK</c> puts the instance into that virtual service; several tags, several services;</item>
/// <item>the instance's address and port are the real server's;</item>
/// <item>meta <c>lb-forward</c> = <c>route</c> (default, ipvsadm <c>-g</c>) | <c>tunnel</c> (<c>-i</c>) | <c>masq</c> (<c>-m</c>);</item>
/// <item>meta <c>lb-scheduler</c> = a scheduler name (<c>wlc</c> by default); the first instance (by ID) that sets it wins;</item>
/// <item>weight: <c>Weights.Passing</c> when passing, <c>Weights.Warning</c> when warning, 0 (quiesced) when critical or in
/// maintenance, then removed after the grace period.</item>
/// </list>
/// </summary>
public static class DiscoveryConvention
{
    /// <summary>The tag prefix naming a virtual service.</summary>
    public const string VirtualServiceTagPrefix = "lb.vs=";

    /// <summary>The meta key choosing the forwarding method.</summary>
    public const string ForwardMetaKey = "lb-forward";

    /// <summary>The meta key choosing the virtual service's scheduler.</summary>
    public const string SchedulerMetaKey = "lb-scheduler";

    /// <summary>Formats the tag naming <paramref name="key"/>: <c>lb.vs=tcp:10.0.0.1:80</c>.</summary>
    /// <param name="key">The virtual service.</param>
    /// <returns>The tag.</returns>
    public static string FormatVirtualServiceTag(VirtualServiceKey key)
    {
        if (key.IsFirewallMark)
        {
            return VirtualServiceTagPrefix + "fwm:" + key.FirewallMark.ToString(CultureInfo.InvariantCulture);
        }

        var protocol = key.Protocol switch
        {
            ServiceProtocol.Udp => "udp",
            ServiceProtocol.Sctp => "sctp",
            _ => "tcp",
        };
        var address = key.Address.IsIPv6 ? $"[{key.Address}]" : key.Address.ToString();
        return string.Create(CultureInfo.InvariantCulture, $"{VirtualServiceTagPrefix}{protocol}:{address}:{key.Port}");
    }

    /// <summary>Parses the value of an <c>lb.vs=</c> tag (with or without the prefix).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="key">The virtual service.</param>
    /// <param name="error">What is wrong, when it returns <see langword="false"/>.</param>
    /// <returns>Whether the tag is a valid virtual service.</returns>
    public static bool TryParseVirtualService(string tag, out VirtualServiceKey key, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(tag);
        key = default;
        var text = tag.StartsWith(VirtualServiceTagPrefix, StringComparison.Ordinal) ? tag[VirtualServiceTagPrefix.Length..] : tag;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            error = $"'{tag}': expected {VirtualServiceTagPrefix}tcp|udp|sctp:ADDRESS:PORT or {VirtualServiceTagPrefix}fwm:MARK";
            return false;
        }

        var protocolText = text[..colon];
        var rest = text[(colon + 1)..];
        if (protocolText == "fwm")
        {
            if (!uint.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var mark) || mark == 0)
            {
                error = $"'{tag}': the firewall mark must be 1..4294967295";
                return false;
            }

            key = VirtualServiceKey.ForFirewallMark(mark);
            error = null;
            return true;
        }

        ServiceProtocol protocol;
        switch (protocolText)
        {
            case "tcp": protocol = ServiceProtocol.Tcp; break;
            case "udp": protocol = ServiceProtocol.Udp; break;
            case "sctp": protocol = ServiceProtocol.Sctp; break;
            default:
                error = $"'{tag}': unknown protocol '{protocolText}' (expected tcp, udp, sctp or fwm)";
                return false;
        }

        var portColon = rest.LastIndexOf(':');
        if (portColon <= 0)
        {
            error = $"'{tag}': expected ADDRESS:PORT after the protocol";
            return false;
        }

        var addressText = rest[..portColon];
        if (addressText.StartsWith('[') && addressText.EndsWith(']'))
        {
            addressText = addressText[1..^1];
        }
        else if (addressText.Contains(':', StringComparison.Ordinal))
        {
            error = $"'{tag}': an IPv6 address must be in brackets, e.g. tcp:[2001:db8::1]:80";
            return false;
        }

        if (!NetworkAddress.TryParse(addressText, out var address))
        {
            error = $"'{tag}': '{addressText}' is not an IP address";
            return false;
        }

        if (!ushort.TryParse(rest[(portColon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port == 0)
        {
            error = $"'{tag}': the port must be 1..65535";
            return false;
        }

        key = VirtualServiceKey.ForAddress(protocol, address, port);
        error = null;
        return true;
    }

    /// <summary>Parses the <c>lb-forward</c> meta value; <see langword="null"/> or empty is <see cref="ForwardingMethod.Route"/>.</summary>
    /// <param name="value">The value.</param>
    /// <param name="method">The method.</param>
    /// <returns>Whether the value is known.</returns>
    public static bool TryParseForwarding(string? value, out ForwardingMethod method)
    {
        switch (value?.ToUpperInvariant())
        {
            case null or "" or "ROUTE" or "DR" or "GATE":
                method = ForwardingMethod.Route;
                return true;
            case "TUNNEL" or "TUN" or "IPIP":
                method = ForwardingMethod.Tunnel;
                return true;
            case "MASQ" or "MASQUERADE" or "NAT":
                method = ForwardingMethod.Masquerade;
                return true;
            default:
                method = ForwardingMethod.Route;
                return false;
        }
    }

    /// <summary>Formats a forwarding method as the <c>lb-forward</c> meta value.</summary>
    /// <param name="method">The method.</param>
    /// <returns><c>route</c>, <c>tunnel</c>, <c>masq</c> or <c>local</c>.</returns>
    public static string FormatForwarding(ForwardingMethod method) => method switch
    {
        ForwardingMethod.Tunnel => "tunnel",
        ForwardingMethod.Masquerade => "masq",
        ForwardingMethod.Local => "local",
        _ => "route",
    };
}
