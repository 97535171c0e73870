using System.Globalization;
using System.Net;
using LoadBalancing.Agent.Configuration;

namespace LoadBalancing.Agent.Registration;

/// <summary>Checks <see cref="RegistrationOptions"/>; every message names the field (<c>Registration:Services[0].VirtualService</c>).</summary>
internal static class RegistrationValidator
{
    public static void Collect(AgentOptions options, List<string> errors)
    {
        var r = options.Registration;
        if (!r.IsEnabled)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(r.Consul) && string.IsNullOrWhiteSpace(r.Director) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CONSUL_HTTP_ADDR")))
        {
            errors.Add("Registration: services are listed but neither Registration:Consul (or CONSUL_HTTP_ADDR) nor Registration:Director is set");
        }

        if (r.Ttl < TimeSpan.FromSeconds(1))
        {
            errors.Add($"Registration:Ttl: expected at least 1 s, got {r.Ttl}");
        }

        if (r.DeregisterCriticalAfter < TimeSpan.FromMinutes(1))
        {
            errors.Add($"Registration:DeregisterCriticalAfter: expected at least 1 minute (Consul's minimum), got {r.DeregisterCriticalAfter}");
        }

        if (r.CheckInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add($"Registration:CheckInterval: expected at least 1 s, got {r.CheckInterval}");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < r.Services.Count; i++)
        {
            var s = r.Services[i];
            var field = string.Create(CultureInfo.InvariantCulture, $"Registration:Services[{i}]");
            if (string.IsNullOrWhiteSpace(s.Name) || s.Name.Length > 128 || s.Name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            {
                errors.Add($"{field}.Name: '{s.Name}' is not a service name (1 to 128 of [A-Za-z0-9._-])");
            }

            if (!VirtualServiceText.TryParse(s.VirtualService, out var vs, out var error))
            {
                errors.Add($"{field}.VirtualService: {error}");
            }

            if (!IPAddress.TryParse(s.Address, out var address) || IPAddress.Any.Equals(address) || IPAddress.IPv6Any.Equals(address))
            {
                errors.Add($"{field}.Address: '{s.Address}' is not the real server's IPv4 or IPv6 address");
            }

            if (s.Port is < 0 or > 65535)
            {
                errors.Add($"{field}.Port: expected 0 to 65535, got {s.Port}");
            }

            if (s.Forward.ToUpperInvariant() is not ("ROUTE" or "DR" or "TUNNEL" or "TUN" or "MASQ" or "MASQUERADE" or "NAT"))
            {
                errors.Add($"{field}.Forward: '{s.Forward}': expected route, tunnel or masq");
            }

            if (s.Weight is < 1 or > 65535)
            {
                errors.Add($"{field}.Weight: expected 1 to 65535, got {s.Weight}");
            }

            if (s.WarningWeight is < 0 or > 65535)
            {
                errors.Add($"{field}.WarningWeight: expected 0 to 65535, got {s.WarningWeight}");
            }

            if (s.HealthEndpoint is { Length: > 0 } endpoint && !options.HealthEndpoints.Any(h => h.Name == endpoint))
            {
                errors.Add($"{field}.HealthEndpoint: no Agent:HealthEndpoints entry is named '{endpoint}'");
            }

            if (error is null && address is not null && !ids.Add(AgentRegistration.ServiceId(s.Name, s.Address, s.Port == 0 ? vs.Port : s.Port)))
            {
                errors.Add($"{field}: the same name, address and port is listed twice");
            }
        }
    }
}
