using LoadBalancing.Health;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Validates <see cref="HealthCheckOptions"/> at host start, naming the option at fault.</summary>
internal sealed class HealthCheckOptionsValidator : IValidateOptions<HealthCheckOptions>
{
    public ValidateOptionsResult Validate(string? name, HealthCheckOptions options)
    {
        var failures = new List<string>();
        if (options.MaxConcurrency < 1)
        {
            failures.Add($"{nameof(HealthCheckOptions.MaxConcurrency)} must be at least 1.");
        }

        if (options.DefaultPolicy is null)
        {
            failures.Add($"{nameof(HealthCheckOptions.DefaultPolicy)} must be set.");
        }
        else
        {
            failures.AddRange(options.DefaultPolicy.Validate().Select(p => $"{nameof(HealthCheckOptions.DefaultPolicy)}.{p}"));
        }

        if (options.DefaultQuorum is null)
        {
            failures.Add($"{nameof(HealthCheckOptions.DefaultQuorum)} must be set.");
        }
        else
        {
            failures.AddRange(options.DefaultQuorum.Validate().Select(p => $"{nameof(HealthCheckOptions.DefaultQuorum)}.{p}"));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
