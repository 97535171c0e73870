using System.Net;
using Microsoft.Extensions.Options;

namespace LoadBalancing.Director;

/// <summary>Checks <see cref="DirectorOptions"/> at start; every message names the option and what to set.</summary>
internal sealed class DirectorOptionsValidator : IValidateOptions<DirectorOptions>
{
    private const int MinTokenLength = 16;

    public ValidateOptionsResult Validate(string? name, DirectorOptions options)
    {
        var errors = new List<string>();
        if (options.ReloadDebounce < TimeSpan.Zero || options.ReloadDebounce > TimeSpan.FromMinutes(1))
        {
            errors.Add($"Director:ReloadDebounce must be between 0 and 1 minute (is {options.ReloadDebounce}).");
        }

        if (options.RulesFile is { Length: 0 })
        {
            errors.Add("Director:RulesFile is empty; remove it or give a path.");
        }

        var tcp = !string.IsNullOrEmpty(options.ControlTcpEndpoint);
        IPEndPoint? endpoint = null;
        if (tcp && !IPEndPoint.TryParse(options.ControlTcpEndpoint!, out endpoint))
        {
            errors.Add($"Director:ControlTcpEndpoint '{options.ControlTcpEndpoint}' is not ADDRESS:PORT (e.g. 127.0.0.1:50051 or [::1]:50051).");
        }
        else if (endpoint is not null && !IPAddress.IsLoopback(endpoint.Address) && string.IsNullOrEmpty(options.CertificatePath))
        {
            errors.Add($"Director:ControlTcpEndpoint '{options.ControlTcpEndpoint}' is not a loopback address, so Director:CertificatePath (TLS) is required: the bearer token must not cross the network in clear text.");
        }

        if (!string.IsNullOrEmpty(options.ControlSocketGroup) && !Control.UnixGroup.TryResolve(options.ControlSocketGroup, out _))
        {
            errors.Add($"Director:ControlSocketGroup '{options.ControlSocketGroup}' is not a group in /etc/group nor a number.");
        }

        if (tcp && string.IsNullOrEmpty(options.BearerToken))
        {
            errors.Add("Director:ControlTcpEndpoint is set, so Director:BearerToken is required: the TCP control API never runs without authentication.");
        }

        if (options.BearerToken is { Length: > 0 and < MinTokenLength })
        {
            errors.Add($"Director:BearerToken must be at least {MinTokenLength} characters.");
        }

        if (!string.IsNullOrEmpty(options.CertificatePath) && !File.Exists(options.CertificatePath))
        {
            errors.Add($"Director:CertificatePath '{options.CertificatePath}' does not exist.");
        }

        if (options.StaticRules.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("Director:StaticRules contains an empty line.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
