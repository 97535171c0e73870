using System.Net;
using LoadBalancing.Consul;
using LoadBalancing.Consul.Model;

namespace LoadBalancing.Agent.Registration;

/// <summary>Registration in the local Consul agent (<c>/v1/agent/service/register</c> with <c>replace-existing-checks</c>).</summary>
internal sealed class ConsulServiceRegistry(IConsulClient client, string description) : IServiceRegistry
{
    public string Description => description;

    public Task RegisterAsync(AgentRegistration registration, CancellationToken cancellationToken)
        => client.RegisterServiceAsync(ToConsul(registration), replaceExistingChecks: true, cancellationToken);

    public async Task<bool> HeartbeatAsync(AgentRegistration registration, bool healthy, string output, CancellationToken cancellationToken)
    {
        if (registration.HealthEndpoint is not null)
        {
            // Consul runs this check itself; the agent only makes sure the registration survived (dev agents and
            // agents without a data dir forget everything on restart).
            var services = await client.GetAgentServicesAsync(cancellationToken).ConfigureAwait(false);
            return services.ContainsKey(registration.Id);
        }

        try
        {
            await client.UpdateTtlAsync(registration.CheckId, healthy ? HealthStatus.Passing : HealthStatus.Critical, output, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConsulException e) when (IsLostRegistration(e))
        {
            return false;
        }
    }

    public Task<bool> DeregisterAsync(AgentRegistration registration, CancellationToken cancellationToken)
        => client.DeregisterServiceAsync(registration.Id, cancellationToken);

    public async Task<bool> SetMaintenanceAsync(AgentRegistration registration, bool enable, string? reason, CancellationToken cancellationToken)
    {
        try
        {
            await client.SetServiceMaintenanceAsync(registration.Id, enable, reason, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConsulException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public void Dispose() => client.Dispose();

    /// <summary>
    /// 404 <c>Unknown check ID</c>, or the 500 <c>CheckID "x" does not have associated TTL</c> older agents (and agents
    /// that re-created the service without the TTL check) answer: the agent no longer has our registration.
    /// </summary>
    internal static bool IsLostRegistration(ConsulException e)
        => e.StatusCode == HttpStatusCode.NotFound
           || (e.StatusCode == HttpStatusCode.InternalServerError && e.ResponseBody.Contains("does not have associated TTL", StringComparison.Ordinal));

    internal static ServiceRegistration ToConsul(AgentRegistration r) => new()
    {
        Id = r.Id,
        Name = r.Name,
        Address = r.Address,
        Port = r.Port,
        Tags = r.Tags,
        Meta = r.Meta,
        Weights = new ServiceWeights { Passing = r.Weight, Warning = r.WarningWeight },
        Check = r.HealthEndpoint is { } h ? ConsulRunCheck(r, h) : new CheckDefinition
        {
            CheckId = r.CheckId,
            Name = "lbagent heartbeat",
            Notes = $"lbagent reports every {r.Ttl / 3}",
            Ttl = r.Ttl,
            DeregisterCriticalServiceAfter = r.DeregisterCriticalAfter,
        },
    };

    private static CheckDefinition ConsulRunCheck(AgentRegistration r, Configuration.HealthEndpointOptions h)
    {
        var host = IPAddress.TryParse(r.Address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{r.Address}]" : r.Address;
        var check = new CheckDefinition
        {
            CheckId = r.CheckId,
            Name = $"lbagent {h.Protocol} {h.Name}",
            Interval = r.CheckInterval,
            Timeout = TimeSpan.FromSeconds(5),
            DeregisterCriticalServiceAfter = r.DeregisterCriticalAfter,
        };
        var path = string.IsNullOrEmpty(h.Path) ? "/" : h.Path.StartsWith('/') ? h.Path : "/" + h.Path;
        return h.Protocol switch
        {
            "http" => check with { Http = $"http://{host}:{h.Port}{path}" },
            "https" => check with { Http = $"https://{host}:{h.Port}{path}" },
            "grpc" => check with { Grpc = string.IsNullOrEmpty(h.Path) ? $"{host}:{h.Port}" : $"{host}:{h.Port}/{h.Path}" },
            _ => check with { Tcp = $"{host}:{h.Port}" },
        };
    }
}
