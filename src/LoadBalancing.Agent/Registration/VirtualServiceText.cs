using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace LoadBalancing.Agent.Registration;

/// <summary>The <c>tcp:VIP:PORT</c> text of a virtual service, as the director's discovery convention reads it from an <c>lb.vs=</c> tag.</summary>
internal readonly record struct VirtualServiceText(string Protocol, IPAddress? Address, int Port, uint Mark)
{
    public const string TagPrefix = "lb.vs=";

    public static bool TryParse(string text, out VirtualServiceText value, [NotNullWhen(false)] out string? error)
    {
        value = default;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var protocol = colon > 0 ? text[..colon] : "";
        var rest = colon > 0 ? text[(colon + 1)..] : "";
        if (protocol == "fwm")
        {
            if (!uint.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var mark) || mark == 0)
            {
                error = $"'{text}': the firewall mark must be 1..4294967295";
                return false;
            }

            value = new VirtualServiceText("fwm", null, 0, mark);
            error = null;
            return true;
        }

        if (protocol is not ("tcp" or "udp" or "sctp"))
        {
            error = $"'{text}': expected tcp|udp|sctp:VIP:PORT (IPv6 in brackets) or fwm:MARK";
            return false;
        }

        var portColon = rest.LastIndexOf(':');
        var addressText = portColon > 0 ? rest[..portColon] : "";
        if (addressText.StartsWith('[') && addressText.EndsWith(']'))
        {
            addressText = addressText[1..^1];
        }
        else if (addressText.Contains(':', StringComparison.Ordinal))
        {
            error = $"'{text}': an IPv6 VIP must be in brackets, e.g. tcp:[2001:db8::1]:80";
            return false;
        }

        if (!IPAddress.TryParse(addressText, out var address))
        {
            error = $"'{text}': '{addressText}' is not an IP address";
            return false;
        }

        if (!int.TryParse(rest[(portColon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            error = $"'{text}': the port must be 1..65535";
            return false;
        }

        value = new VirtualServiceText(protocol, address, port, 0);
        error = null;
        return true;
    }
}
