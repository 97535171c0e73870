using Microsoft.Extensions.Logging;

namespace LoadBalancing.Health;

/// <content>Log messages with stable event ids (4000–4099 belong to health checking).</content>
public sealed partial class HealthChecker
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, EventName = "TargetUp", Level = LogLevel.Information, Message = "Health check: {Target} is up, weight {Weight}")]
        public static partial void TargetUp(ILogger logger, string target, int weight);

        [LoggerMessage(EventId = 4002, EventName = "TargetDown", Level = LogLevel.Warning, Message = "Health check: {Target} is down ({Reason}), {Action}")]
        public static partial void TargetDown(ILogger logger, string target, string? reason, string action);

        [LoggerMessage(EventId = 4003, EventName = "WeightChanged", Level = LogLevel.Debug, Message = "Health check: {Target} weight {Weight}")]
        public static partial void WeightChanged(ILogger logger, string target, int weight);

        [LoggerMessage(EventId = 4004, EventName = "ProbeFailed", Level = LogLevel.Debug, Message = "Health check: {Target} probe failed ({Reason}), attempt {Attempt}")]
        public static partial void ProbeFailed(ILogger logger, string target, string? reason, int attempt);

        [LoggerMessage(EventId = 4005, EventName = "ProbeThrew", Level = LogLevel.Warning, Message = "Health check: {Target} probe threw; counted as failed")]
        public static partial void ProbeThrew(ILogger logger, Exception exception, string target);

        [LoggerMessage(EventId = 4006, EventName = "ChangeDropped", Level = LogLevel.Warning, Message = "Health check: change of {Target} dropped from the channel: nobody reads it")]
        public static partial void ChangeDropped(ILogger logger, string target);
    }
}
