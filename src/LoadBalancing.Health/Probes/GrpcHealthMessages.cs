using System.Text;

namespace LoadBalancing.Health.Probes;

/// <summary>
/// The two protobuf messages of <c>grpc/health/v1/health.proto</c>, encoded by hand so the library needs no
/// protobuf runtime: <c>HealthCheckRequest { string service = 1; }</c> and
/// <c>HealthCheckResponse { ServingStatus status = 1; }</c> (UNKNOWN 0, SERVING 1, NOT_SERVING 2, SERVICE_UNKNOWN 3).
/// </summary>
internal static class GrpcHealthMessages
{
    public const int Serving = 1;

    /// <summary>Field 1, wire type 2 (length-delimited): tag byte 0x0A, varint length, UTF-8 bytes. Empty strings are omitted (proto3 default).</summary>
    public static byte[] EncodeRequest(string service)
    {
        if (service.Length == 0)
        {
            return [];
        }

        var bytes = Encoding.UTF8.GetBytes(service);
        var buffer = new List<byte>(bytes.Length + 6) { 0x0A };
        WriteVarint(buffer, (ulong)bytes.Length);
        buffer.AddRange(bytes);
        return [.. buffer];
    }

    /// <summary>Reads the status field, skipping unknown fields; -1 when the message is malformed. An absent field is 0 (UNKNOWN).</summary>
    public static int DecodeStatus(ReadOnlySpan<byte> message)
    {
        var status = 0;
        var offset = 0;
        while (offset < message.Length)
        {
            if (!TryReadVarint(message, ref offset, out var key))
            {
                return -1;
            }

            var field = key >> 3;
            switch (key & 7)
            {
                case 0:
                    if (!TryReadVarint(message, ref offset, out var value))
                    {
                        return -1;
                    }

                    if (field == 1)
                    {
                        status = (int)Math.Min(value, int.MaxValue);
                    }

                    break;
                case 1:
                    offset += 8;
                    break;
                case 2:
                    if (!TryReadVarint(message, ref offset, out var length) || length > (ulong)(message.Length - offset))
                    {
                        return -1;
                    }

                    offset += (int)length;
                    break;
                case 5:
                    offset += 4;
                    break;
                default:
                    return -1;
            }
        }

        return offset == message.Length ? status : -1;
    }

    private static void WriteVarint(List<byte> buffer, ulong value)
    {
        while (value >= 0x80)
        {
            buffer.Add((byte)(value | 0x80));
            value >>= 7;
        }

        buffer.Add((byte)value);
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> message, ref int offset, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (offset >= message.Length)
            {
                return false;
            }

            var b = message[offset++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
