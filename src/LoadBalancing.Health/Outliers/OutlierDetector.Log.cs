using Microsoft.Extensions.Logging;

namespace LoadBalancing.Health.Outliers;

/// <content>Log messages with stable event ids (4010–4019: passive health).</content>
public sealed partial class OutlierDetector
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 4010, EventName = "OutlierEjected", Level = LogLevel.Warning, Message = "Outlier detection: {Destination} ejected ({Reason}) for {Seconds} s, ejection #{Multiplier}")]
        public static partial void Ejected(ILogger logger, LoadBalancing.Runtime.RealServerState destination, OutlierEjectionReason reason, double seconds, int multiplier);

        [LoggerMessage(EventId = 4011, EventName = "OutlierReturned", Level = LogLevel.Information, Message = "Outlier detection: {Destination} returned after its ejection time")]
        public static partial void Returned(ILogger logger, LoadBalancing.Runtime.RealServerState destination);

        [LoggerMessage(EventId = 4012, EventName = "OutlierEjectionSkipped", Level = LogLevel.Debug, Message = "Outlier detection: {Destination} is an outlier ({Reason}) but stays: {Why}")]
        public static partial void Skipped(ILogger logger, LoadBalancing.Runtime.RealServerState destination, OutlierEjectionReason reason, string why);

        [LoggerMessage(EventId = 4013, EventName = "OutlierHandlerFailed", Level = LogLevel.Warning, Message = "Outlier detection: a Changed handler threw")]
        public static partial void HandlerFailed(ILogger logger, Exception exception);
    }
}
