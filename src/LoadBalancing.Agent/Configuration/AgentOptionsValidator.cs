using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;

namespace LoadBalancing.Agent.Configuration;

/// <summary>Validates a whole <see cref="AgentOptions"/> snapshot; every message names the field (<c>Vips[1].Address</c>).</summary>
internal sealed class AgentOptionsValidator : IValidateOptions<AgentOptions>
{
    private static readonly string[] Protocols = ["tcp", "http", "https", "grpc"];

    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        var errors = Collect(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static List<string> Collect(AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var seen = new HashSet<IPAddress>();
        for (var i = 0; i < options.Vips.Count; i++)
        {
            var vip = options.Vips[i];
            var field = F("Vips[{0}]", i);
            if (!IPAddress.TryParse(vip.Address, out var address) || vip.Address.Contains('/', StringComparison.Ordinal))
            {
                errors.Add($"{field}.Address: '{vip.Address}' is not an IPv4 or IPv6 address (give it without a prefix length)");
            }
            else if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.IsIPv6Multicast || address.IsIPv4MappedToIPv6)
            {
                errors.Add($"{field}.Address: {address} cannot be a VIP (loopback, unspecified, multicast or IPv4-mapped)");
            }
            else if (!seen.Add(address))
            {
                errors.Add($"{field}.Address: {address} is listed twice");
            }

            if (!Enum.IsDefined(vip.Method))
            {
                errors.Add($"{field}.Method: must be Dr or Tun");
            }
        }

        for (var i = 0; i < options.ArpInterfaces.Count; i++)
        {
            if (!IsInterfaceName(options.ArpInterfaces[i]))
            {
                errors.Add(F("ArpInterfaces[{0}]: '{1}' is not an interface name (1-15 characters, no '/' or spaces)", i, options.ArpInterfaces[i]));
            }
        }

        if (!IsInterfaceName(options.LoopbackInterface))
        {
            errors.Add($"LoopbackInterface: '{options.LoopbackInterface}' is not an interface name");
        }

        var mountPoints = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Mounts.Count; i++)
        {
            var mount = options.Mounts[i];
            var field = F("Mounts[{0}]", i);
            if (string.IsNullOrWhiteSpace(mount.Type) || !mount.Type.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_'))
            {
                errors.Add($"{field}.Type: '{mount.Type}' is not a file system type");
            }

            var isNfs = IsNfs(mount.Type);
            if (isNfs && string.IsNullOrWhiteSpace(mount.Server))
            {
                errors.Add($"{field}.Server: required for {mount.Type}");
            }

            if (string.IsNullOrWhiteSpace(mount.Export) || isNfs && !mount.Export.StartsWith('/'))
            {
                errors.Add($"{field}.Export: {(isNfs ? "an absolute exported path is required" : "the device or source is required")}");
            }

            if (!mount.MountPoint.StartsWith('/') || mount.MountPoint == "/" || mount.MountPoint.Split('/').Any(s => s is "." or ".."))
            {
                errors.Add($"{field}.MountPoint: '{mount.MountPoint}' must be an absolute path other than /, without . or ..");
            }
            else if (!mountPoints.Add(mount.MountPoint.TrimEnd('/')))
            {
                errors.Add($"{field}.MountPoint: {mount.MountPoint} is used twice");
            }

            if (MountOptionString.Validate(mount.Options) is { } problem)
            {
                errors.Add($"{field}.Options: {problem}");
            }

            if (!Enum.IsDefined(mount.Persistence))
            {
                errors.Add($"{field}.Persistence: must be Transient, Runtime or Persistent");
            }

            if (mount.PortmapperPort is < 1 or > 65535)
            {
                errors.Add($"{field}.PortmapperPort: must be 1..65535");
            }
        }

        for (var i = 0; i < options.HealthEndpoints.Count; i++)
        {
            var endpoint = options.HealthEndpoints[i];
            var field = F("HealthEndpoints[{0}]", i);
            if (string.IsNullOrWhiteSpace(endpoint.Name))
            {
                errors.Add($"{field}.Name: required");
            }

            if (Array.IndexOf(Protocols, endpoint.Protocol) < 0)
            {
                errors.Add($"{field}.Protocol: '{endpoint.Protocol}' must be one of {string.Join(", ", Protocols)}");
            }

            if (endpoint.Port is < 1 or > 65535)
            {
                errors.Add($"{field}.Port: {endpoint.Port} must be 1..65535");
            }
        }

        if (string.IsNullOrWhiteSpace(options.StateFile) || !options.StateFile.StartsWith('/'))
        {
            errors.Add($"StateFile: '{options.StateFile}' must be an absolute path");
        }

        if (string.IsNullOrWhiteSpace(options.SystemdBus))
        {
            errors.Add("SystemdBus: required (e.g. unix:path=/run/dbus/system_bus_socket)");
        }

        if (!options.UnitRoot.StartsWith('/'))
        {
            errors.Add($"UnitRoot: '{options.UnitRoot}' must be an absolute path");
        }

        if (options.MountTimeout <= TimeSpan.Zero)
        {
            errors.Add("MountTimeout: must be positive");
        }

        if (options.DriftInterval < TimeSpan.FromMilliseconds(100))
        {
            errors.Add("DriftInterval: must be at least 00:00:00.1");
        }

        Registration.RegistrationValidator.Collect(options, errors);
        return errors;
    }

    public static bool IsNfs(string type) => type is "nfs" or "nfs4";

    private static bool IsInterfaceName(string name)
        => name.Length is > 0 and < 16 && name is not ("." or "..") && !name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c));

    private static string F(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}
