using Grpc.Core;
using Grpc.Net.Client;
using LoadBalancing.Grpc.Registry;

namespace LoadBalancing.Agent.Registration;

/// <summary>Registration in the director's embedded registry (<c>registry.proto</c> on the control API).</summary>
internal sealed class DirectorServiceRegistry(GrpcChannel channel, string description) : IServiceRegistry
{
    private readonly Grpc.Registry.Registry.RegistryClient _client = new(channel);

    public string Description => description;

    public async Task RegisterAsync(AgentRegistration registration, CancellationToken cancellationToken)
    {
        var instance = new Instance
        {
            Id = registration.Id,
            Name = registration.Name,
            Address = registration.Address,
            Port = (uint)registration.Port,
            WeightPassing = (uint)registration.Weight,
            WeightWarning = (uint)registration.WarningWeight,
            TtlMs = (ulong)registration.Ttl.TotalMilliseconds,
            DeregisterCriticalAfterMs = (ulong)registration.DeregisterCriticalAfter.TotalMilliseconds,
        };
        instance.Tags.AddRange(registration.Tags);
        foreach (var (key, value) in registration.Meta)
        {
            instance.Meta[key] = value;
        }
        await _client.RegisterAsync(new RegisterRequest { Instance = instance }, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> HeartbeatAsync(AgentRegistration registration, bool healthy, string output, CancellationToken cancellationToken)
    {
        try
        {
            await _client.HeartbeatAsync(
                new HeartbeatRequest { Id = registration.Id, Status = healthy ? HealthStatus.Passing : HealthStatus.Critical, Output = output },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task<bool> DeregisterAsync(AgentRegistration registration, CancellationToken cancellationToken)
        => (await _client.DeregisterAsync(new DeregisterRequest { Id = registration.Id }, cancellationToken: cancellationToken).ConfigureAwait(false)).Existed;

    public async Task<bool> SetMaintenanceAsync(AgentRegistration registration, bool enable, string? reason, CancellationToken cancellationToken)
    {
        try
        {
            await _client.SetMaintenanceAsync(new MaintenanceRequest { Id = registration.Id, Enable = enable, Reason = reason ?? "" }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return false;
        }
    }

    public void Dispose() => channel.Dispose();
}
