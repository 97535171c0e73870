using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using LoadBalancing.Client.Grpc.Internal;

namespace LoadBalancing.Client.Grpc;

/// <summary>Prepares <see cref="GrpcChannelOptions"/> for a channel to <c>lb://ADDRESS:PORT</c>.</summary>
public static class GrpcChannelOptionsExtensions
{
    /// <summary>
    /// Sets what a channel to <c>lb://ADDRESS:PORT</c> needs, leaving alone what is already set:
    /// <see cref="GrpcChannelOptions.ServiceProvider"/> (where the resolver and the policy are registered by
    /// <c>AddGrpcLoadBalancing</c>), a <see cref="GrpcChannelOptions.ServiceConfig"/> with the
    /// <see cref="GrpcLoadBalancingNames.Policy"/> policy, insecure <see cref="GrpcChannelOptions.Credentials"/> (h2c), and an
    /// <see cref="GrpcChannelOptions.HttpHandler"/>: a <see cref="SocketsHttpHandler"/> behind a handler that lets
    /// trailers-only statuses (UNAVAILABLE …) reach passive health checking. A handler set by the caller must be a
    /// <see cref="SocketsHttpHandler"/> (or delegate to one); with it only transport errors are reported.
    /// </summary>
    /// <param name="options">The channel options.</param>
    /// <param name="services">The app's service provider.</param>
    /// <returns><paramref name="options"/>.</returns>
    public static GrpcChannelOptions UseLoadBalancing(this GrpcChannelOptions options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        options.ServiceProvider ??= services;
        options.ServiceConfig ??= new ServiceConfig { LoadBalancingConfigs = { new LoadBalancingConfig(GrpcLoadBalancingNames.Policy) } };
        options.Credentials ??= global::Grpc.Core.ChannelCredentials.Insecure;
        if (options.HttpHandler is null && options.HttpClient is null)
        {
            options.HttpHandler = new GrpcStatusHandler(new SocketsHttpHandler { EnableMultipleHttp2Connections = true });
        }

        return options;
    }
}
