using System.Text.Json.Serialization;
using LoadBalancing.Consul.Model;

namespace LoadBalancing.Consul.Internal;

/// <summary>
/// Source-generated serialization for every Consul body. Names come from <see cref="JsonPropertyNameAttribute"/>
/// (Consul's exact PascalCase Go field names) and are written exactly; reading is case-insensitive because
/// Consul's own decoding is and its documented samples mix <c>Address</c> and <c>address</c>.
/// Unset (null) fields are not sent, so the agent's defaults apply.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(GoDurationJsonConverter)])]
[JsonSerializable(typeof(ServiceRegistration))]
[JsonSerializable(typeof(CheckUpdate))]
[JsonSerializable(typeof(SessionRequest))]
[JsonSerializable(typeof(SessionCreated))]
[JsonSerializable(typeof(List<SessionInfo>))]
[JsonSerializable(typeof(List<ServiceEntry>))]
[JsonSerializable(typeof(List<HealthCheck>))]
[JsonSerializable(typeof(List<KVPair>))]
[JsonSerializable(typeof(Dictionary<string, AgentService>))]
[JsonSerializable(typeof(Dictionary<string, HealthCheck>))]
[JsonSerializable(typeof(Dictionary<string, List<string>>))]
[JsonSerializable(typeof(bool))]
internal sealed partial class ConsulJsonContext : JsonSerializerContext;
