using Grpc.Core;
using Grpc.Net.Client.Balancer;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Client.Grpc.Internal;

/// <summary>
/// Resolves <c>lb://ADDRESS:PORT</c> to the real servers of that TCP virtual service, and resolves again on every change
/// of the service table (discovery, rules, runtime servers). Servers at weight 0 stay in the list so that their
/// connections stay up; the picker does not choose them.
/// </summary>
internal sealed partial class VirtualServiceResolver : Resolver
{
    /// <summary>The virtual service, set on every address.</summary>
    public static readonly BalancerAttributesKey<VirtualServiceState> ServiceKey = new("lb.virtual-service");

    private readonly ClientServices _services;
    private readonly VirtualServiceKey _key;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Action<ResolverResult>? _listener;
    private bool _disposed;

    public VirtualServiceResolver(ClientServices services, VirtualServiceKey key, ILogger logger)
    {
        _services = services;
        _key = key;
        _logger = logger;
    }

    public override void Start(Action<ResolverResult> listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (_lock)
        {
            if (_listener is not null)
            {
                throw new InvalidOperationException("The resolver has already been started.");
            }

            _listener = listener;
        }

        _services.Table.Changed += OnTableChanged;
        Publish();
    }

    public override void Refresh() => Publish();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _services.Table.Changed -= OnTableChanged;
            lock (_lock)
            {
                _disposed = true;
            }
        }

        base.Dispose(disposing);
    }

    private void OnTableChanged(object? sender, EventArgs e) => Publish();

    private void Publish()
    {
        // Serialized so that the channel never sees an older list after a newer one.
        lock (_lock)
        {
            if (_listener is null || _disposed)
            {
                return;
            }

            ResolverResult result;
            try
            {
                result = Resolve();
            }
            catch (ConfigValidationException e)
            {
                // The static services do not fit the table: every call fails with the fields named.
                result = ResolverResult.ForFailure(new Status(StatusCode.Unavailable, e.Message));
            }

            _listener(result);
        }
    }

    private ResolverResult Resolve()
    {
        if (!_services.TryGetService(_key, out var service))
        {
            Log.ServiceMissing(_logger, _key);
            return ResolverResult.ForFailure(new Status(StatusCode.Unavailable, $"Virtual service {_key} is not in the service table; add it (AddStaticServices, a rules file or discovery)."));
        }

        var addresses = new List<BalancerAddress>(service.Destinations.Length);
        foreach (var destination in service.Destinations)
        {
            if (!destination.IsAvailable)
            {
                continue;
            }

            var address = new BalancerAddress(destination.Address.ToString(), destination.Port);
            address.Attributes.Set(ServiceKey, service);
            addresses.Add(address);
        }

        if (addresses.Count == 0)
        {
            return ResolverResult.ForFailure(new Status(StatusCode.Unavailable, $"Virtual service {_key} has no real servers."));
        }

        Log.Resolved(_logger, _key, addresses.Count);
        return ResolverResult.ForResult(addresses);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6200, Level = LogLevel.Warning, Message = "Virtual service {Service} of an lb:// channel is not in the service table")]
        public static partial void ServiceMissing(ILogger logger, VirtualServiceKey service);

        [LoggerMessage(EventId = 6201, Level = LogLevel.Debug, Message = "Virtual service {Service} resolved to {Count} real servers")]
        public static partial void Resolved(ILogger logger, VirtualServiceKey service, int count);
    }
}
