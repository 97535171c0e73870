using System.Text.Json.Serialization;

namespace LoadBalancing.Consul.Model;

/// <summary>An address/port pair of a service's <c>TaggedAddresses</c> (keys such as <c>lan</c>, <c>wan</c>, <c>lan_ipv4</c>).</summary>
public sealed record ServiceAddress
{
    /// <summary>The address.</summary>
    [JsonPropertyName("Address")]
    public string Address { get; init; } = "";

    /// <summary>The port.</summary>
    [JsonPropertyName("Port")]
    public int Port { get; init; }
}
