using LoadBalancing.Agent.Configuration;
using LoadBalancing.Consul;
using LoadBalancing.Grpc;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Agent.Registration;

/// <summary>Picks the registry: Consul when configured (option or <c>CONSUL_HTTP_ADDR</c>), else the director's embedded one.</summary>
internal static class ServiceRegistryFactory
{
    public static IServiceRegistry Create(RegistrationOptions options, Func<string, string?> environment, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.EffectiveConsul(environment) is { } consul)
        {
            var consulOptions = ConsulClientOptions.FromEnvironment(environment);
            if (!string.IsNullOrWhiteSpace(options.Consul))
            {
                consulOptions = consulOptions with { Address = ConsulClientOptions.ParseAddress(options.Consul, string.Equals(environment("CONSUL_HTTP_SSL"), "true", StringComparison.OrdinalIgnoreCase)) };
            }

            return new ConsulServiceRegistry(ConsulClientFactory.Create(consulOptions, time, logger), $"consul {consulOptions.Address}");
        }

        if (string.IsNullOrWhiteSpace(options.Director))
        {
            throw new AgentException("Registration: neither Registration:Consul (or CONSUL_HTTP_ADDR) nor Registration:Director is set");
        }

        var token = !string.IsNullOrEmpty(options.DirectorToken) ? options.DirectorToken : environment("LBAGENT_DIRECTOR_TOKEN");
        try
        {
            return new DirectorServiceRegistry(DirectorChannel.Create(options.Director, string.IsNullOrEmpty(token) ? null : token), $"director registry {options.Director}");
        }
        catch (FormatException e)
        {
            throw new AgentException($"Registration:Director: {e.Message}");
        }
    }

    /// <summary>The probe that decides a TTL heartbeat's status for an instance with a health endpoint (embedded registry).</summary>
    public static Health.IHealthProbe? LocalProbe(HealthEndpointOptions? endpoint, TimeProvider? time = null) => endpoint?.Protocol switch
    {
        null => null,
        "http" or "https" => Health.Probes.HealthProbes.Http(new Health.Probes.HttpProbeOptions { Port = (ushort)endpoint.Port, Path = string.IsNullOrEmpty(endpoint.Path) ? "/" : endpoint.Path, UseTls = endpoint.Protocol == "https" }, time),
        "grpc" => Health.Probes.HealthProbes.Grpc(new Health.Probes.GrpcHealthProbeOptions { Port = (ushort)endpoint.Port, Service = endpoint.Path ?? "" }),
        _ => Health.Probes.HealthProbes.Tcp(new Health.Probes.TcpProbeOptions { Port = (ushort)endpoint.Port }, time),
    };
}
