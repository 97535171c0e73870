using Grpc.Core;
using Grpc.Net.Client.Balancer;
using LoadBalancing.Health.Outliers;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Client.Grpc.Internal;

/// <summary>
/// Picks with the virtual service's scheduler among the subchannels that are ready; built again by the balancer whenever
/// the set of ready subchannels changes. Weight changes (health, ejections) need no new picker: the scheduler sees them.
/// </summary>
internal sealed partial class LvsPicker : SubchannelPicker
{
    private readonly LvsLoadBalancer _owner;
    private readonly ReadyServer[] _ready;
    private readonly IPassiveHealthReporter? _reporter;
    private readonly GrpcLoadBalancingOptions _options;
    private readonly ILogger _logger;

    public LvsPicker(LvsLoadBalancer owner, IReadOnlyList<Subchannel> readySubchannels, IPassiveHealthReporter? reporter, GrpcLoadBalancingOptions options, ILogger logger)
    {
        _owner = owner;
        _reporter = reporter;
        _options = options;
        _logger = logger;
        var ready = new List<ReadyServer>(readySubchannels.Count);
        foreach (var subchannel in readySubchannels)
        {
            if (subchannel.CurrentAddress is { } current && NetworkAddress.TryParse(current.EndPoint.Host, out var address))
            {
                ready.Add(new ReadyServer(address, (ushort)current.EndPoint.Port, subchannel));
            }
        }

        _ready = [.. ready];
    }

    public override PickResult Pick(PickContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var service = _owner.Service;
        if (service is null)
        {
            return PickResult.ForFailure(new Status(StatusCode.Unavailable, $"The '{GrpcLoadBalancingNames.Policy}' policy needs a channel address {GrpcLoadBalancingNames.Scheme}://ADDRESS:PORT naming a virtual service."));
        }

        string? hashKey = null;
        if (_options.HashKeyHeader is { } header && context.Request is { } request && request.Headers.TryGetValues(header, out var values))
        {
            hashKey = values.FirstOrDefault();
        }

        var scheduling = ClientScheduling.CreateRequest(service.Key, hashKey);

        // A server whose connection is not ready yet (or any more) cannot take the call: ask the scheduler again, which
        // moves rr and wrr on; at most once per server.
        for (var i = 0; i <= service.Destinations.Length; i++)
        {
            var destination = service.Schedule(in scheduling);
            if (destination is null)
            {
                Log.NoServer(_logger, service.Key);
                return PickResult.ForFailure(new Status(StatusCode.Unavailable, $"No real server of {service.Key} is available (all quiesced, ejected or down)."));
            }

            if (Find(destination) is { } subchannel)
            {
                return PickResult.ForSubchannel(subchannel, new CallTracker(destination, _reporter, context.Request, _options));
            }
        }

        // The scheduler keeps choosing a server without a ready connection (lc, sh): take the first ready one it may use.
        foreach (var ready in _ready)
        {
            if (service.FindDestination(ready.Address, ready.Port) is { IsAvailable: true, Weight: > 0, IsOverloaded: false } destination)
            {
                return PickResult.ForSubchannel(ready.Subchannel, new CallTracker(destination, _reporter, context.Request, _options));
            }
        }

        return PickResult.ForFailure(new Status(StatusCode.Unavailable, $"No real server of {service.Key} with a ready connection is available."));
    }

    private Subchannel? Find(RealServerState destination)
    {
        foreach (var ready in _ready)
        {
            if (ready.Port == destination.Port && ready.Address == destination.Address)
            {
                return ready.Subchannel;
            }
        }

        return null;
    }

    private readonly record struct ReadyServer(NetworkAddress Address, ushort Port, Subchannel Subchannel);

    private static partial class Log
    {
        [LoggerMessage(EventId = 6210, Level = LogLevel.Warning, Message = "No real server of {Service} is available for a gRPC call")]
        public static partial void NoServer(ILogger logger, VirtualServiceKey service);
    }
}
