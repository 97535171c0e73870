using Microsoft.Extensions.Logging;

namespace LoadBalancing.Health;

/// <content>Log messages with stable event ids (4020–4029: quorum and sorry server).</content>
public sealed partial class ServiceTableHealthAdapter
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 4020, EventName = "QuorumLost", Level = LogLevel.Warning, Message = "Quorum: {Service} lost quorum, live weight {LiveWeight} < {Quorum}-{Hysteresis} (quorum_down)")]
        public static partial void QuorumLost(ILogger logger, LoadBalancing.Model.VirtualServiceKey service, long liveWeight, int quorum, int hysteresis);

        [LoggerMessage(EventId = 4021, EventName = "QuorumGained", Level = LogLevel.Information, Message = "Quorum: {Service} gained quorum, live weight {LiveWeight} >= {Quorum}+{Hysteresis} (quorum_up)")]
        public static partial void QuorumGained(ILogger logger, LoadBalancing.Model.VirtualServiceKey service, long liveWeight, int quorum, int hysteresis);

        [LoggerMessage(EventId = 4022, EventName = "SorryServerIn", Level = LogLevel.Warning, Message = "Quorum: {Service} sends its traffic to sorry server {SorryServer}")]
        public static partial void SorryServerIn(ILogger logger, LoadBalancing.Model.VirtualServiceKey service, LoadBalancing.Runtime.RealServerState sorryServer);

        [LoggerMessage(EventId = 4023, EventName = "SorryServerOut", Level = LogLevel.Information, Message = "Quorum: {Service} takes sorry server {SorryServer} out")]
        public static partial void SorryServerOut(ILogger logger, LoadBalancing.Model.VirtualServiceKey service, LoadBalancing.Runtime.RealServerState sorryServer);

        [LoggerMessage(EventId = 4024, EventName = "SorryServerMissing", Level = LogLevel.Error, Message = "Quorum: sorry server {SorryServer} of {Service} could not be added, the service has none: {Reason}")]
        public static partial void SorryServerMissing(ILogger logger, LoadBalancing.Model.VirtualServiceKey service, ProbeTarget sorryServer, string reason);

        [LoggerMessage(EventId = 4025, EventName = "QuorumPolicyInvalid", Level = LogLevel.Error, Message = "Quorum: policy of {Service} is invalid, using the default: {Problems}")]
        public static partial void QuorumPolicyInvalid(ILogger logger, LoadBalancing.Model.VirtualServiceKey service, string problems);

        [LoggerMessage(EventId = 4026, EventName = "QuorumHandlerFailed", Level = LogLevel.Warning, Message = "Quorum: a QuorumChanged handler threw")]
        public static partial void HandlerFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 4027, EventName = "SorryServerAdded", Level = LogLevel.Information, Message = "Quorum: sorry server {SorryServer} added to {Service} ({Method}, weight {Weight})")]
        public static partial void SorryServerAdded(ILogger logger, LoadBalancing.Model.VirtualServiceKey service, LoadBalancing.Runtime.RealServerState sorryServer, LoadBalancing.Model.ForwardingMethod method, int weight);

        [LoggerMessage(EventId = 4028, EventName = "SorryServerRemoved", Level = LogLevel.Information, Message = "Quorum: sorry server {SorryServer} removed from {Service}")]
        public static partial void SorryServerRemoved(ILogger logger, LoadBalancing.Model.VirtualServiceKey service, LoadBalancing.Runtime.RealServerState sorryServer);
    }
}
