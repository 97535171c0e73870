using Microsoft.Extensions.Logging;

namespace LoadBalancing.Consul.Internal;

internal sealed partial class ConsulClient
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Consul query for {Service} failed ({Failures} in a row); keeping the last good result: {HasResult}")]
        public static partial void QueryFailed(ILogger logger, string service, int failures, bool hasResult, Exception exception);

        [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Consul index for {Service} went backwards ({Previous} -> {Returned}); resetting to 0")]
        public static partial void IndexWentBackwards(ILogger logger, string service, ulong previous, ulong returned);
    }
}
