using LoadBalancing.Client.Http;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Checks <see cref="HttpLoadBalancingOptions"/>, naming the HttpClient and the field.</summary>
internal sealed class HttpLoadBalancingOptionsValidator : IValidateOptions<HttpLoadBalancingOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpLoadBalancingOptions options)
    {
        var prefix = $"HttpClient '{name}' load balancing: ";
        List<string> errors = [];
        if (options.MaxConnectRetries is < 0 or > HttpLoadBalancingOptions.MaxConnectRetriesLimit)
        {
            errors.Add($"{prefix}{nameof(options.MaxConnectRetries)} must be between 0 and {HttpLoadBalancingOptions.MaxConnectRetriesLimit}, got {options.MaxConnectRetries}.");
        }

        if (options.HashKeyHeader is { } header && (header.Length == 0 || header.Any(c => c <= ' ' || c >= 127 || c == ':')))
        {
            errors.Add($"{prefix}{nameof(options.HashKeyHeader)} must be a header name (visible ASCII, no ':'), got '{header}'.");
        }

        if (options.AttemptTimeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            errors.Add($"{prefix}{nameof(options.AttemptTimeout)} must be positive, got {timeout}.");
        }

        if (options.VirtualService is { IsFirewallMark: false, Port: 0 })
        {
            errors.Add($"{prefix}{nameof(options.VirtualService)} must have a port.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
