using Grpc.Core;
using Grpc.Net.Client.Balancer;
using LoadBalancing.Health.Outliers;
using LoadBalancing.Runtime;

namespace LoadBalancing.Client.Grpc.Internal;

/// <summary>
/// Counts one call as active on its real server (for lc, wlc, sed, nq) from start to response headers, then reports its
/// outcome: a transport error by its kind, a trailers-only status of <see cref="GrpcLoadBalancingOptions.FailureStatusCodes"/>
/// (seen by <see cref="GrpcStatusHandler"/>) as a failure, anything else as a success.
/// </summary>
internal sealed class CallTracker(RealServerState destination, IPassiveHealthReporter? reporter, HttpRequestMessage? request, GrpcLoadBalancingOptions options) : ISubchannelCallTracker
{
    private int _started;

    public void Start()
    {
        _started = 1;
        destination.AcquireActive();
    }

    public void Complete(CompletionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Interlocked.Exchange(ref _started, 0) == 1)
        {
            destination.ReleaseActive();
        }

        if (reporter is null)
        {
            return;
        }

        if (context.Error is { } error)
        {
            reporter.ReportFailure(destination, ClientFailures.Classify(error));
        }
        else if (request is not null && request.Options.TryGetValue(GrpcStatusHandler.StatusKey, out var status) && options.FailureStatusCodes.Contains(status))
        {
            reporter.ReportFailure(destination, status == StatusCode.DeadlineExceeded ? PassiveFailure.Timeout : PassiveFailure.Other);
        }
        else
        {
            reporter.ReportSuccess(destination);
        }
    }
}
