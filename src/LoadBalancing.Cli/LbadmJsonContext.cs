using System.Text.Json.Serialization;

namespace LoadBalancing.Cli;

/// <summary>Source-generated serializer for the listing (no reflection, AOT-safe).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JsonListing))]
internal sealed partial class LbadmJsonContext : JsonSerializerContext;
