// JSON property names below are Consul's wire names, not references to members of this class.
#pragma warning disable CA1507

using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoadBalancing.Consul.Tests.Fakes;

internal sealed partial class FakeConsulAgent
{
    private readonly Dictionary<string, ServiceState> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CheckState> _checks = new(StringComparer.Ordinal);

    /// <summary>The registered services (by ID), as the agent holds them now.</summary>
    public IReadOnlyDictionary<string, ServiceState> Services
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, ServiceState>(_services);
            }
        }
    }

    /// <summary>The checks (by ID), as the agent holds them now.</summary>
    public IReadOnlyDictionary<string, CheckState> Checks
    {
        get
        {
            lock (_gate)
            {
                return _checks.ToDictionary(p => p.Key, p => p.Value with { });
            }
        }
    }

    private Reply RegisterService(RecordedRequest r)
    {
        JsonElement body;
        try
        {
            body = JsonDocument.Parse(r.Body).RootElement.Clone();
        }
        catch (JsonException e)
        {
            return new Reply(400, "Request decode failed: " + e.Message);
        }

        var name = Str(body, "Name");
        if (string.IsNullOrEmpty(name))
        {
            return new Reply(400, "Missing service name");
        }

        var id = Str(body, "ID") ?? name;
        var address = Str(body, "Address") ?? "";
        if (address is "0.0.0.0" or "::")
        {
            return new Reply(400, "Invalid service address");
        }

        int passing = 1, warning = 1;
        if (Prop(body, "Weights") is { } weights)
        {
            passing = Prop(weights, "Passing")?.GetInt32() ?? 1;
            warning = Prop(weights, "Warning")?.GetInt32() ?? 1;
            if (passing < 1)
            {
                return new Reply(400, "Invalid Weights: Passing must be greater than 0");
            }
        }

        var definitions = new List<JsonElement>();
        if (Prop(body, "Check") is { } single)
        {
            definitions.Add(single);
        }

        if (Prop(body, "Checks") is { ValueKind: JsonValueKind.Array } many)
        {
            definitions.AddRange(many.EnumerateArray());
        }

        lock (_gate)
        {
            var index = NextIndexLocked();
            var existing = _services.GetValueOrDefault(id);
            _services[id] = new ServiceState
            {
                Node = NodeName,
                Id = id,
                Name = name,
                Address = address,
                Port = Prop(body, "Port")?.GetInt32() ?? 0,
                Tags = Prop(body, "Tags") is { ValueKind: JsonValueKind.Array } tags ? [.. tags.EnumerateArray().Select(t => t.GetString()!)] : [],
                Meta = Prop(body, "Meta") is { ValueKind: JsonValueKind.Object } meta ? meta.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!) : [],
                PassingWeight = passing,
                WarningWeight = warning,
                CreateIndex = existing?.CreateIndex ?? index,
                ModifyIndex = index,
                RegistrationBody = r.BodyText,
            };

            var kept = new HashSet<string>(StringComparer.Ordinal);
            for (var n = 0; n < definitions.Count; n++)
            {
                var d = definitions[n];
                var checkId = Str(d, "CheckID") ?? Str(d, "ID") ?? (definitions.Count == 1 ? $"service:{id}" : $"service:{id}:{n + 1}");
                kept.Add(checkId);
                var type = Str(d, "TTL") is not null ? "ttl" : Str(d, "HTTP") is not null ? "http" : Str(d, "TCP") is not null ? "tcp" : Str(d, "GRPC") is not null ? "grpc" : "script";
                var status = Str(d, "Status") ?? "critical";
                var now = Time.GetUtcNow();
                var ttl = Duration(d, "TTL");
                _checks[checkId] = new CheckState
                {
                    Id = checkId,
                    Name = Str(d, "Name") ?? $"Service '{name}' check",
                    ServiceId = id,
                    Node = NodeName,
                    Status = status,
                    Type = type,
                    Ttl = ttl,
                    TtlDeadline = ttl is { } t ? now + t : null,
                    Target = Str(d, "HTTP") ?? Str(d, "TCP") ?? Str(d, "GRPC"),
                    Interval = Duration(d, "Interval"),
                    DeregisterCriticalServiceAfter = Duration(d, "DeregisterCriticalServiceAfter"),
                    CriticalSince = status == "critical" ? now : null,
                    CreateIndex = index,
                    ModifyIndex = index,
                };
            }

            if (r.HasQuery("replace-existing-checks"))
            {
                foreach (var stale in _checks.Values.Where(c => c.ServiceId == id && !kept.Contains(c.Id) && !c.Id.StartsWith("_service_maintenance:", StringComparison.Ordinal)).ToList())
                {
                    _checks.Remove(stale.Id);
                }
            }

            TouchService(name, index);
            Touch("catalog", index);
            SignalLocked();
        }

        return new Reply(200);
    }

    private Reply DeregisterService(string id)
    {
        lock (_gate)
        {
            if (!DeregisterLocked(id))
            {
                return new Reply(404, $"Unknown service ID \"{id}\". Ensure that the service ID is passed, not the service name.");
            }

            SignalLocked();
            return new Reply(200);
        }
    }

    private bool DeregisterLocked(string id)
    {
        if (!_services.Remove(id, out var service))
        {
            return false;
        }

        foreach (var check in _checks.Values.Where(c => c.ServiceId == id).ToList())
        {
            _checks.Remove(check.Id);
        }

        var index = NextIndexLocked();
        TouchService(service.Name, index);
        Touch("catalog", index);
        return true;
    }

    private Reply Maintenance(string id, RecordedRequest r)
    {
        if (!r.HasQuery("enable"))
        {
            return new Reply(400, "Missing value for enable");
        }

        var enableText = r.QueryValue("enable");
        if (!bool.TryParse(enableText, out var enable))
        {
            return new Reply(400, $"Invalid value for enable: \"{enableText}\"");
        }

        lock (_gate)
        {
            if (!_services.TryGetValue(id, out var service))
            {
                return new Reply(404, $"Unknown service ID \"{id}\". Ensure that the service ID is passed, not the service name.");
            }

            var checkId = "_service_maintenance:" + id;
            var index = NextIndexLocked();
            if (enable)
            {
                var reason = r.HasQuery("reason") ? r.QueryValue("reason") : null;
                _checks[checkId] = new CheckState
                {
                    Id = checkId, Name = "Service Maintenance Mode", ServiceId = id, Node = NodeName, Status = "critical", Type = "maintenance",
                    Notes = string.IsNullOrEmpty(reason) ? "Maintenance mode is enabled for this service, but no reason was provided. This is a default message." : reason,
                    CreateIndex = index, ModifyIndex = index,
                };
            }
            else
            {
                _checks.Remove(checkId);
            }

            TouchService(service.Name, index);
            SignalLocked();
            return new Reply(200);
        }
    }

    private Reply UpdateTtl(string checkId, string status, string? output)
    {
        lock (_gate)
        {
            if (!_checks.TryGetValue(checkId, out var check))
            {
                return new Reply(404, $"Unknown check ID \"{checkId}\". Ensure that the check ID is passed, not the check name.");
            }

            if (check.Ttl is not { } ttl)
            {
                return new Reply(500, $"CheckID \"{checkId}\" does not have associated TTL");
            }

            var now = Time.GetUtcNow();
            check.TtlDeadline = now + ttl;
            check.LastCheckin = now;
            check.Checkins++;
            SetStatusLocked(check, status, output ?? "");
            SignalLocked();
            return new Reply(200);
        }
    }

    private Reply UpdateTtlBody(string checkId, RecordedRequest r)
    {
        JsonElement body;
        try
        {
            body = JsonDocument.Parse(r.Body).RootElement.Clone();
        }
        catch (JsonException e)
        {
            return new Reply(400, "Request decode failed: " + e.Message);
        }

        var status = Str(body, "Status");
        if (status is not ("passing" or "warning" or "critical"))
        {
            return new Reply(400, $"Invalid check status: '{status}'");
        }

        return UpdateTtl(checkId, status, Str(body, "Output"));
    }

    private void SetStatusLocked(CheckState check, string status, string output)
    {
        if (check.Status == status && check.Output == output)
        {
            return;
        }

        var now = Time.GetUtcNow();
        check.CriticalSince = status == "critical" ? check.CriticalSince ?? now : null;
        check.Status = status;
        check.Output = output;
        check.ModifyIndex = NextIndexLocked();
        if (_services.TryGetValue(check.ServiceId, out var service))
        {
            TouchService(service.Name, check.ModifyIndex);
        }
    }

    private Reply AgentServices()
    {
        var result = new JsonObject();
        foreach (var s in _services.Values.Where(s => s.Node == NodeName).OrderBy(s => s.Id, StringComparer.Ordinal))
        {
            var node = ServiceJson(s);
            node["Datacenter"] = "dc1";
            result[s.Id] = node;
        }

        return Reply.Json(result);
    }

    private Reply AgentChecks()
    {
        var result = new JsonObject();
        foreach (var c in _checks.Values.Where(c => c.Node == NodeName).OrderBy(c => c.Id, StringComparer.Ordinal))
        {
            result[c.Id] = CheckJson(c);
        }

        return Reply.Json(result);
    }

    private Reply CatalogServices()
    {
        var result = new JsonObject { ["consul"] = new JsonArray() };
        foreach (var group in _services.Values.GroupBy(s => s.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            result[group.Key] = new JsonArray([.. group.SelectMany(s => s.Tags).Distinct().Order(StringComparer.Ordinal).Select(t => (JsonNode)JsonValue.Create(t)!)]);
        }

        return Reply.Json(result);
    }

    private Reply HealthService(string name, bool passingOnly)
    {
        var result = new JsonArray();
        foreach (var s in _services.Values.Where(s => s.Name == name).OrderBy(s => s.Node, StringComparer.Ordinal).ThenBy(s => s.Id, StringComparer.Ordinal))
        {
            var checks = _checks.Values.Where(c => c.ServiceId == s.Id).OrderBy(c => c.Id, StringComparer.Ordinal).ToList();
            if (passingOnly && checks.Any(c => c.Status != "passing"))
            {
                continue;
            }

            var checkArray = new JsonArray();
            foreach (var c in checks)
            {
                checkArray.Add(CheckJson(c));
            }

            checkArray.Add(new JsonObject
            {
                ["Node"] = s.Node, ["CheckID"] = "serfHealth", ["Name"] = "Serf Health Status", ["Status"] = "passing", ["Notes"] = "", ["Output"] = "Agent alive and reachable",
                ["ServiceID"] = "", ["ServiceName"] = "", ["ServiceTags"] = new JsonArray(), ["Namespace"] = "default",
            });
            result.Add(new JsonObject
            {
                ["Node"] = new JsonObject
                {
                    ["ID"] = "40e4a748-2192-161a-0510-9bf59fe950b5", ["Node"] = s.Node, ["Address"] = s.Node == NodeName ? NodeAddress : "10.1.10.12", ["Datacenter"] = "dc1",
                    ["TaggedAddresses"] = new JsonObject { ["lan"] = NodeAddress, ["wan"] = NodeAddress }, ["Meta"] = new JsonObject(),
                },
                ["Service"] = ServiceJson(s),
                ["Checks"] = checkArray,
            });
        }

        return Reply.Json(result);
    }

    private static JsonObject ServiceJson(ServiceState s) => new()
    {
        ["ID"] = s.Id,
        ["Service"] = s.Name,
        ["Tags"] = new JsonArray([.. s.Tags.Select(t => (JsonNode)JsonValue.Create(t)!)]),
        ["Address"] = s.Address,
        ["Meta"] = new JsonObject([.. s.Meta.Select(p => new KeyValuePair<string, JsonNode?>(p.Key, p.Value))]),
        ["Port"] = s.Port,
        ["Weights"] = new JsonObject { ["Passing"] = s.PassingWeight, ["Warning"] = s.WarningWeight },
        ["EnableTagOverride"] = false,
        ["Namespace"] = "default",
        ["CreateIndex"] = s.CreateIndex,
        ["ModifyIndex"] = s.ModifyIndex,
    };

    private static JsonObject CheckJson(CheckState c) => new()
    {
        ["Node"] = c.Node,
        ["CheckID"] = c.Id,
        ["Name"] = c.Name,
        ["Status"] = c.Status,
        ["Notes"] = c.Notes,
        ["Output"] = c.Output,
        ["ServiceID"] = c.ServiceId,
        ["ServiceName"] = "",
        ["ServiceTags"] = new JsonArray(),
        ["Type"] = c.Type,
        ["Namespace"] = "default",
        ["CreateIndex"] = c.CreateIndex,
        ["ModifyIndex"] = c.ModifyIndex,
    };

    /// <summary>A registered service instance.</summary>
    internal sealed record ServiceState
    {
        public required string Node { get; init; }

        public required string Id { get; init; }

        public required string Name { get; init; }

        public string Address { get; init; } = "";

        public int Port { get; init; }

        public IReadOnlyList<string> Tags { get; init; } = [];

        public IReadOnlyDictionary<string, string> Meta { get; init; } = new Dictionary<string, string>();

        public int PassingWeight { get; init; } = 1;

        public int WarningWeight { get; init; } = 1;

        public ulong CreateIndex { get; init; }

        public ulong ModifyIndex { get; init; }

        /// <summary>The JSON body of the last registration (empty for <see cref="AddInstance"/>).</summary>
        public string RegistrationBody { get; init; } = "";
    }

    /// <summary>A check and its state.</summary>
    internal sealed record CheckState
    {
        public required string Id { get; init; }

        public string Name { get; init; } = "";

        public string ServiceId { get; init; } = "";

        public string Node { get; init; } = "";

        public string Status { get; set; } = "critical";

        public string Notes { get; init; } = "";

        public string Output { get; set; } = "";

        public string Type { get; init; } = "";

        public string? Target { get; init; }

        public TimeSpan? Interval { get; init; }

        public TimeSpan? Ttl { get; init; }

        public DateTimeOffset? TtlDeadline { get; set; }

        public DateTimeOffset? LastCheckin { get; set; }

        public int Checkins { get; set; }

        public TimeSpan? DeregisterCriticalServiceAfter { get; init; }

        public DateTimeOffset? CriticalSince { get; set; }

        public ulong CreateIndex { get; init; }

        public ulong ModifyIndex { get; set; }
    }
}
