using System.Globalization;
using System.Net.Sockets;
using LoadBalancing.Model;

namespace LoadBalancing.Rules;

/// <summary>The C library's address parsers as ipvsadm uses them: <c>inet_aton</c> and <c>inet_pton(AF_INET6)</c>.</summary>
internal static class InetAddressParser
{
    /// <summary>
    /// <c>inet_aton</c>: one to four parts separated by dots, each decimal, octal (leading 0) or hex (0x); the last
    /// part fills the remaining bytes (so <c>10.1</c> is 10.0.0.1 and <c>127.0.0.010</c> is 127.0.0.8).
    /// </summary>
    public static bool TryParseInetAton(string text, out uint hostOrder)
    {
        hostOrder = 0;
        var parts = text.Split('.');
        if (parts.Length is < 1 or > 4)
        {
            return false;
        }

        Span<ulong> values = stackalloc ulong[4];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!TryParseCNumber(parts[i], out values[i]))
            {
                return false;
            }
        }

        // Every part but the last is one byte; the last one fills what is left.
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (values[i] > 0xFF)
            {
                return false;
            }

            hostOrder |= (uint)values[i] << (24 - (8 * i));
        }

        var lastBits = 32 - (8 * (parts.Length - 1));
        var last = values[parts.Length - 1];
        if (last > (lastBits == 32 ? uint.MaxValue : (1UL << lastBits) - 1))
        {
            return false;
        }

        hostOrder |= (uint)last;
        return true;
    }

    /// <summary><c>inet_pton(AF_INET6)</c>: a bare IPv6 address, no brackets, no zone.</summary>
    public static bool TryParseIPv6(string text, out NetworkAddress address)
    {
        address = default;
        if (!text.Contains(':', StringComparison.Ordinal) || text.Contains('[', StringComparison.Ordinal)
            || text.Contains('%', StringComparison.Ordinal) || text.Contains('/', StringComparison.Ordinal))
        {
            return false;
        }

        return NetworkAddress.TryParse(text, out address) && address.Family == AddressFamily.InterNetworkV6;
    }

    /// <summary><c>strtol(s, &amp;end, 10)</c> with the whole string consumed and a range check (ipvsadm's <c>string_to_number</c>).</summary>
    public static bool TryParseDecimal(string text, long min, long max, out long value)
    {
        value = 0;
        var s = text.AsSpan().TrimStart(" \t\n\v\f\r");
        if (s.IsEmpty)
        {
            return false;
        }

        return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)
            && value >= min && value <= max;
    }

    /// <summary><c>atoi</c>: leading digits after optional blanks and sign; 0 when there are none.</summary>
    public static long Atoi(string text)
    {
        var s = text.AsSpan().TrimStart(" \t\n\v\f\r");
        var negative = false;
        if (!s.IsEmpty && s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        long value = 0;
        foreach (var c in s)
        {
            if (c is < '0' or > '9' || value > int.MaxValue)
            {
                break;
            }

            value = (value * 10) + (c - '0');
        }

        return negative ? -value : value;
    }

    private static bool TryParseCNumber(string part, out ulong value)
    {
        value = 0;
        if (part.Length == 0)
        {
            return false;
        }

        var digits = part.AsSpan();
        var radix = 10;
        if (digits.Length > 1 && digits[0] == '0' && digits[1] is 'x' or 'X')
        {
            radix = 16;
            digits = digits[2..];
        }
        else if (digits.Length > 1 && digits[0] == '0')
        {
            radix = 8;
            digits = digits[1..];
        }

        foreach (var c in digits)
        {
            var d = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'f' => c - 'a' + 10,
                >= 'A' and <= 'F' => c - 'A' + 10,
                _ => 99,
            };
            if (d >= radix)
            {
                return false;
            }

            value = (value * (ulong)radix) + (ulong)d;
            if (value > uint.MaxValue)
            {
                return false;
            }
        }

        return true;
    }
}
