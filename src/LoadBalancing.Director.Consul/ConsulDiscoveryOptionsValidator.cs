using Microsoft.Extensions.Options;

namespace LoadBalancing.Director.Consul;

/// <summary>Validates <see cref="ConsulDiscoveryOptions"/> when the host starts; messages name the option.</summary>
internal sealed class ConsulDiscoveryOptionsValidator : IValidateOptions<ConsulDiscoveryOptions>
{
    public ValidateOptionsResult Validate(string? name, ConsulDiscoveryOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ProviderName))
        {
            errors.Add("Director:Consul:ProviderName: expected a non-empty name");
        }

        if (options.CriticalGracePeriod < TimeSpan.Zero)
        {
            errors.Add($"Director:Consul:CriticalGracePeriod: expected 0 or more, got {options.CriticalGracePeriod}");
        }

        if (options.Wait <= TimeSpan.Zero || options.Wait > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Director:Consul:Wait: expected more than 0 and at most 10 minutes (Consul's maximum), got {options.Wait}");
        }

        if (options.RetryBaseDelay <= TimeSpan.Zero || options.RetryMaxDelay < options.RetryBaseDelay)
        {
            errors.Add($"Director:Consul:RetryBaseDelay/RetryMaxDelay: expected 0 < RetryBaseDelay <= RetryMaxDelay, got {options.RetryBaseDelay} and {options.RetryMaxDelay}");
        }

        if (options.RateLimitInterval <= TimeSpan.Zero)
        {
            errors.Add($"Director:Consul:RateLimitInterval: expected more than 0, got {options.RateLimitInterval}");
        }

        for (var i = 0; i < options.Services.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.Services[i]))
            {
                errors.Add($"Director:Consul:Services:{i}: expected a Consul service name");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
