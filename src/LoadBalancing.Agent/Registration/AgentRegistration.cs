using System.Globalization;
using System.Text;
using LoadBalancing.Agent.Configuration;

namespace LoadBalancing.Agent.Registration;

/// <summary>One instance as the agent registers it: deterministic ID, <c>lb.vs=</c> tag, meta, weights and check.</summary>
internal sealed record AgentRegistration
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string Address { get; init; }

    public required int Port { get; init; }

    public required IReadOnlyList<string> Tags { get; init; }

    public required IReadOnlyDictionary<string, string> Meta { get; init; }

    public int Weight { get; init; } = 1;

    public int WarningWeight { get; init; } = 1;

    public HealthEndpointOptions? HealthEndpoint { get; init; }

    public TimeSpan Ttl { get; init; }

    public TimeSpan DeregisterCriticalAfter { get; init; }

    public TimeSpan CheckInterval { get; init; }

    /// <summary>The check's ID: <c>&lt;id&gt;:ttl</c>, or <c>&lt;id&gt;:http</c> etc. for a check the registry runs.</summary>
    public string CheckId => Id + ":" + (HealthEndpoint?.Protocol ?? "ttl");

    /// <summary>
    /// <c>lb-NAME-ADDRESS-PORT</c>, restricted to <c>[A-Za-z0-9._:-]</c>: stable across restarts (a fresh ID per start
    /// would leave duplicates behind) and unique per agent for each VIP/port this server serves.
    /// </summary>
    public static string ServiceId(string name, string address, int port)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"lb-{name}-{address}-{port}");
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-' ? c : '-');
        }

        return builder.ToString();
    }

    /// <summary>The registrations of a validated configuration.</summary>
    public static IReadOnlyList<AgentRegistration> FromOptions(AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var r = options.Registration;
        var list = new List<AgentRegistration>();
        foreach (var s in r.Services)
        {
            if (!VirtualServiceText.TryParse(s.VirtualService, out var vs, out var error))
            {
                throw new AgentException($"Registration: {s.Name}: {error}");
            }

            var port = s.Port == 0 ? vs.Port : s.Port;
            var meta = new Dictionary<string, string>(StringComparer.Ordinal) { ["lb-forward"] = s.Forward.ToLowerInvariant() };
            if (!string.IsNullOrEmpty(s.Scheduler))
            {
                meta["lb-scheduler"] = s.Scheduler;
            }

            list.Add(new AgentRegistration
            {
                Id = ServiceId(s.Name, s.Address, port),
                Name = s.Name,
                Address = s.Address,
                Port = port,
                Tags = [VirtualServiceText.TagPrefix + s.VirtualService],
                Meta = meta,
                Weight = s.Weight,
                WarningWeight = s.WarningWeight,
                HealthEndpoint = s.HealthEndpoint is { Length: > 0 } name ? options.HealthEndpoints.First(h => h.Name == name) : null,
                Ttl = r.Ttl,
                DeregisterCriticalAfter = r.DeregisterCriticalAfter,
                CheckInterval = r.CheckInterval,
            });
        }

        return list;
    }
}
