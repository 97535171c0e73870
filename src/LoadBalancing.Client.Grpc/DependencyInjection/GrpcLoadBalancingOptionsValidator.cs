using Grpc.Core;
using LoadBalancing.Client.Grpc;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Checks <see cref="GrpcLoadBalancingOptions"/>, naming the field.</summary>
internal sealed class GrpcLoadBalancingOptionsValidator : IValidateOptions<GrpcLoadBalancingOptions>
{
    public ValidateOptionsResult Validate(string? name, GrpcLoadBalancingOptions options)
    {
        List<string> errors = [];
        if (options.HashKeyHeader is { } header && (header.Length == 0 || header.Any(c => c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.'))))
        {
            errors.Add($"gRPC load balancing: {nameof(options.HashKeyHeader)} must be a metadata key (lower-case letters, digits, '-', '_', '.'), got '{header}'.");
        }

        if (options.FailureStatusCodes.Contains(StatusCode.OK))
        {
            errors.Add($"gRPC load balancing: {nameof(options.FailureStatusCodes)} must not contain OK.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
