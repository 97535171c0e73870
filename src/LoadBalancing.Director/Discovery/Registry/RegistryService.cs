using System.Buffers;
using Grpc.Core;
using LoadBalancing.Grpc.Registry;
using LoadBalancing.Model;

namespace LoadBalancing.Director.Discovery.Registry;

/// <summary>
/// The embedded registry's gRPC service (<c>registry.proto</c>), served on the control API's endpoints. Requests are
/// validated whole before anything changes; INVALID_ARGUMENT names the field.
/// </summary>
internal sealed class RegistryService(EmbeddedRegistry registry) : Grpc.Registry.Registry.RegistryBase
{
    private static readonly SearchValues<char> IdChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");

    public override Task<RegisterReply> Register(RegisterRequest request, ServerCallContext context)
    {
        var registration = Validate(request.Instance, registry.Options);
        if (!registry.Register(registration))
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"the registry holds {registry.Options.MaxInstances} instances already (Director:Registry:MaxInstances)"));
        }

        return Task.FromResult(new RegisterReply());
    }

    public override Task<HeartbeatReply> Heartbeat(HeartbeatRequest request, ServerCallContext context)
    {
        CheckId(request.Id, "id");
        var status = request.Status switch
        {
            HealthStatus.Unspecified or HealthStatus.Passing => InstanceHealth.Passing,
            HealthStatus.Warning => InstanceHealth.Warning,
            HealthStatus.Critical => InstanceHealth.Critical,
            _ => throw Invalid("status", "expected PASSING, WARNING or CRITICAL (maintenance is SetMaintenance)"),
        };
        var ttl = registry.Heartbeat(request.Id, status, request.Output) ?? throw UnknownInstance(request.Id);
        return Task.FromResult(new HeartbeatReply { TtlMs = (ulong)ttl.TotalMilliseconds });
    }

    public override Task<DeregisterReply> Deregister(DeregisterRequest request, ServerCallContext context)
    {
        CheckId(request.Id, "id");
        return Task.FromResult(new DeregisterReply { Existed = registry.Deregister(request.Id) });
    }

    public override Task<MaintenanceReply> SetMaintenance(MaintenanceRequest request, ServerCallContext context)
    {
        CheckId(request.Id, "id");
        if (!registry.SetMaintenance(request.Id, request.Enable, request.Reason))
        {
            throw UnknownInstance(request.Id);
        }

        return Task.FromResult(new MaintenanceReply());
    }

    public override Task<InstanceList> List(ListInstancesRequest request, ServerCallContext context)
    {
        var list = new InstanceList();
        foreach (var (registration, health, output, lastHeartbeat, maintenance) in registry.List())
        {
            list.Instances.Add(new InstanceState
            {
                Instance = registration.Message,
                Status = health switch
                {
                    InstanceHealth.Passing => HealthStatus.Passing,
                    InstanceHealth.Warning => HealthStatus.Warning,
                    InstanceHealth.Critical => HealthStatus.Critical,
                    _ => HealthStatus.Maintenance,
                },
                Output = output,
                LastHeartbeatUnixMs = lastHeartbeat?.ToUnixTimeMilliseconds() ?? 0,
                MaintenanceReason = maintenance ?? "",
            });
        }

        return Task.FromResult(list);
    }

    /// <summary>Checks a whole registration; the first problem is reported with its field.</summary>
    internal static RegistryRegistration Validate(Instance? instance, EmbeddedRegistryOptions options)
    {
        if (instance is null)
        {
            throw Invalid("instance", "required");
        }

        CheckId(instance.Id, "instance.id");
        if (string.IsNullOrWhiteSpace(instance.Name) || instance.Name.Length > 128)
        {
            throw Invalid("instance.name", "expected a service name of 1 to 128 characters");
        }

        if (!NetworkAddress.TryParse(instance.Address, out _))
        {
            throw Invalid("instance.address", $"'{instance.Address}' is not an IPv4 or IPv6 address");
        }

        if (instance.Port > ushort.MaxValue)
        {
            throw Invalid("instance.port", $"expected 0 to 65535, got {instance.Port}");
        }

        if (instance.WeightPassing > RealServerConfig.MaxWeight || instance.WeightWarning > RealServerConfig.MaxWeight)
        {
            throw Invalid("instance.weight_passing/weight_warning", $"expected 0 to {RealServerConfig.MaxWeight}");
        }

        var ttl = TimeSpan.FromMilliseconds(instance.TtlMs);
        if (ttl < options.MinTtl || ttl > TimeSpan.FromDays(1))
        {
            throw Invalid("instance.ttl_ms", $"expected {options.MinTtl.TotalMilliseconds:0} to 86400000 ms, got {instance.TtlMs}");
        }

        var deregister = instance.DeregisterCriticalAfterMs == 0 ? options.DefaultDeregisterCriticalAfter : TimeSpan.FromMilliseconds(instance.DeregisterCriticalAfterMs);
        if (deregister < TimeSpan.FromSeconds(1) || deregister > TimeSpan.FromDays(7))
        {
            throw Invalid("instance.deregister_critical_after_ms", $"expected 1000 ms to 7 days, got {instance.DeregisterCriticalAfterMs}");
        }

        for (var i = 0; i < instance.Tags.Count; i++)
        {
            var tag = instance.Tags[i];
            if (tag.StartsWith(DiscoveryConvention.VirtualServiceTagPrefix, StringComparison.Ordinal) && !DiscoveryConvention.TryParseVirtualService(tag, out _, out var error))
            {
                throw Invalid($"instance.tags[{i}]", error);
            }
        }

        if (instance.Meta.TryGetValue(DiscoveryConvention.ForwardMetaKey, out var forward) && !DiscoveryConvention.TryParseForwarding(forward, out _))
        {
            throw Invalid($"instance.meta[{DiscoveryConvention.ForwardMetaKey}]", $"'{forward}': expected route, tunnel or masq");
        }

        var initial = instance.InitialStatus switch
        {
            HealthStatus.Passing => InstanceHealth.Passing,
            HealthStatus.Warning => InstanceHealth.Warning,
            HealthStatus.Unspecified or HealthStatus.Critical => InstanceHealth.Critical,
            _ => throw Invalid("instance.initial_status", "expected PASSING, WARNING or CRITICAL"),
        };

        return new RegistryRegistration
        {
            Instance = new DiscoveredInstance
            {
                ServiceName = instance.Name,
                InstanceId = instance.Id,
                Address = instance.Address,
                Port = (int)instance.Port,
                Tags = [.. instance.Tags],
                Meta = new Dictionary<string, string>(instance.Meta, StringComparer.Ordinal),
                PassingWeight = instance.WeightPassing == 0 ? 1 : (int)instance.WeightPassing,
                WarningWeight = (int)instance.WeightWarning,
            },
            Ttl = ttl,
            DeregisterCriticalAfter = deregister,
            InitialStatus = initial,
            Message = instance.Clone(),
        };
    }

    private static void CheckId(string id, string field)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 256 || id.AsSpan().ContainsAnyExcept(IdChars))
        {
            throw Invalid(field, $"'{id}': expected 1 to 256 characters of [A-Za-z0-9._:-]");
        }
    }

    private static RpcException Invalid(string field, string message) => new(new Status(StatusCode.InvalidArgument, $"{field}: {message}"));

    private static RpcException UnknownInstance(string id) => new(new Status(StatusCode.NotFound, $"unknown instance '{id}': register it again (the director restarted or removed it)"));
}
