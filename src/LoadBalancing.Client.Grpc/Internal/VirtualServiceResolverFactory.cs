using System.Net;
using Grpc.Net.Client.Balancer;
using LoadBalancing.Model;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Client.Grpc.Internal;

/// <summary>Creates the resolvers of <c>lb://ADDRESS:PORT</c> channel addresses.</summary>
internal sealed class VirtualServiceResolverFactory(ClientServices services) : ResolverFactory
{
    public override string Name => GrpcLoadBalancingNames.Scheme;

    public override Resolver Create(ResolverOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = ParseAddress(options.Address, options.DefaultPort);
        return new VirtualServiceResolver(services, key, options.LoggerFactory.CreateLogger<VirtualServiceResolver>());
    }

    /// <summary>Reads the virtual service from <c>lb://ADDRESS:PORT</c>.</summary>
    /// <exception cref="InvalidOperationException">The address does not name a virtual service; the message shows the expected form.</exception>
    internal static VirtualServiceKey ParseAddress(Uri address, int defaultPort)
    {
        var host = address.IdnHost;
        if (string.IsNullOrEmpty(host) || !IPAddress.TryParse(host, out var ip))
        {
            throw new InvalidOperationException($"Channel address '{address}' does not name a virtual service: expected {GrpcLoadBalancingNames.Scheme}://ADDRESS:PORT with the service's IP address, e.g. {GrpcLoadBalancingNames.Scheme}://10.0.0.1:50051 or {GrpcLoadBalancingNames.Scheme}://[2001:db8::1]:50051.");
        }

        var port = address.IsDefaultPort || address.Port <= 0 ? defaultPort : address.Port;
        if (port is <= 0 or > ushort.MaxValue)
        {
            throw new InvalidOperationException($"Channel address '{address}' has no port: expected {GrpcLoadBalancingNames.Scheme}://ADDRESS:PORT.");
        }

        return VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.FromIPAddress(ip), (ushort)port);
    }
}
