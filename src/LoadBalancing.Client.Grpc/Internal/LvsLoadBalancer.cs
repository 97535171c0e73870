using Grpc.Net.Client.Balancer;
using LoadBalancing.Runtime;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Client.Grpc.Internal;

/// <summary>
/// The <see cref="GrpcLoadBalancingNames.Policy"/> policy: one subchannel per real server of the resolved virtual
/// service, and a picker that asks the service's own scheduler.
/// </summary>
internal sealed class LvsLoadBalancer : SubchannelsLoadBalancer
{
    private readonly ClientServices _services;
    private readonly GrpcLoadBalancingOptions _options;
    private readonly ILogger _logger;
    private VirtualServiceState? _service;

    public LvsLoadBalancer(IChannelControlHelper controller, ILoggerFactory loggerFactory, ClientServices services, GrpcLoadBalancingOptions options)
        : base(controller, loggerFactory)
    {
        _services = services;
        _options = options;
        _logger = loggerFactory.CreateLogger<LvsLoadBalancer>();
    }

    /// <summary>Gets the virtual service the resolver named last; read by the pickers at each pick, so a new one takes effect at once.</summary>
    public VirtualServiceState? Service => Volatile.Read(ref _service);

    public override void UpdateChannelState(ChannelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Addresses is { Count: > 0 } addresses && addresses[0].Attributes.TryGetValue(VirtualServiceResolver.ServiceKey, out var service))
        {
            Volatile.Write(ref _service, service);
        }

        base.UpdateChannelState(state);
    }

    protected override SubchannelPicker CreatePicker(IReadOnlyList<Subchannel> readySubchannels)
        => new LvsPicker(this, readySubchannels, _services.Reporter, _options, _logger);
}
