using System.Buffers.Binary;
using System.Text;

namespace LoadBalancing.Health.Nfs;

/// <summary>
/// Reads XDR (RFC 4506) from a buffer: big-endian 32-bit units, strings and opaques padded to 4 bytes.
/// Every read is bounds-checked and reports failure instead of throwing, so a malformed reply is a value.
/// </summary>
internal ref struct XdrReader(ReadOnlySpan<byte> buffer)
{
    private readonly ReadOnlySpan<byte> _buffer = buffer;
    private int _offset;

    public readonly int Remaining => _buffer.Length - _offset;

    public bool TryReadUInt32(out uint value)
    {
        if (Remaining < 4)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt32BigEndian(_buffer[_offset..]);
        _offset += 4;
        return true;
    }

    /// <summary>Reads a variable-length opaque of at most <paramref name="maxLength"/> bytes.</summary>
    public bool TryReadOpaque(uint maxLength, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!TryReadUInt32(out var length) || length > maxLength)
        {
            return false;
        }

        // Padding to the next multiple of 4; (length + 3) & ~3 cannot overflow because length <= maxLength < 2^31.
        var padded = (int)((length + 3) & ~3u);
        if (Remaining < padded)
        {
            return false;
        }

        value = _buffer.Slice(_offset, (int)length);
        _offset += padded;
        return true;
    }

    public bool TryReadString(uint maxLength, out string value)
    {
        if (!TryReadOpaque(maxLength, out var bytes))
        {
            value = string.Empty;
            return false;
        }

        // Export paths are bytes on the server; decoded as UTF-8, as showmount on a UTF-8 terminal shows them.
        value = Encoding.UTF8.GetString(bytes);
        return true;
    }

    public bool TryReadBool(out bool value)
    {
        value = false;
        if (!TryReadUInt32(out var raw) || raw > 1)
        {
            return false;
        }

        value = raw == 1;
        return true;
    }
}
