using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoadBalancing.Consul.Internal;

/// <summary>
/// Writes a <see cref="TimeSpan"/> as a Go duration string and reads either a Go duration string or an integer
/// number of nanoseconds: Consul takes durations as strings but answers some (session <c>LockDelay</c>) as
/// Go's raw <c>time.Duration</c>, an int64 of nanoseconds.
/// </summary>
internal sealed class GoDurationJsonConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            // Integer nanoseconds; TimeSpan keeps 100 ns ticks.
            return TimeSpan.FromTicks(reader.GetInt64() / 100);
        }

        if (reader.TokenType == JsonTokenType.String && GoDuration.TryParse(reader.GetString(), out var value))
        {
            return value;
        }

        throw new JsonException($"Expected a Go duration string or integer nanoseconds, got {reader.TokenType}.");
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options)
        => writer.WriteStringValue(GoDuration.Format(value));
}
