using Grpc.Core;

namespace LoadBalancing.Client.Grpc;

/// <summary>Options of the <see cref="GrpcLoadBalancingNames.Policy"/> policy, shared by every channel of the app; validated when the host starts.</summary>
public sealed class GrpcLoadBalancingOptions
{
    /// <summary>
    /// Gets or sets the request header (gRPC metadata key, lower case) whose value the hashing schedulers (sh, mh, dh)
    /// hash, so calls with the same value go to the same server; <c>x-lb-key</c> by default, <see langword="null"/> for none.
    /// </summary>
    public string? HashKeyHeader { get; set; } = "x-lb-key";

    /// <summary>
    /// Gets the status codes that count as a failure of the server for passive health when a call ends with them before
    /// any response message (a trailers-only answer): <see cref="StatusCode.Unavailable"/> and
    /// <see cref="StatusCode.DeadlineExceeded"/> by default. Transport errors (failed connect, reset, the call's deadline
    /// or cancellation before the answer) always count.
    /// </summary>
    public ISet<StatusCode> FailureStatusCodes { get; } = new HashSet<StatusCode> { StatusCode.Unavailable, StatusCode.DeadlineExceeded };
}
