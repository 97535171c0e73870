using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace LoadBalancing.Hashing;

/// <summary>
/// SipHash-c-d (Aumasson and Bernstein) with a configurable number of rounds, as in the kernel's
/// <c>lib/siphash.c</c>: SipHash-2-4 is the kernel's <c>siphash()</c>, SipHash-1-3 truncated to 32 bits is
/// <c>hsiphash()</c> on 64-bit kernels (32-bit kernels use HalfSipHash-1-3, which this class does not implement).
/// </summary>
internal static class SipHash
{
    // "somepseudorandomlygeneratedbytes", the initialisation constants of the SipHash paper.
    private const ulong InitV0 = 0x736f6d6570736575;
    private const ulong InitV1 = 0x646f72616e646f6d;
    private const ulong InitV2 = 0x6c7967656e657261;
    private const ulong InitV3 = 0x7465646279746573;

    /// <summary>Hashes a message of any length with SipHash-<paramref name="compressionRounds"/>-<paramref name="finalizationRounds"/>.</summary>
    public static ulong Compute(ReadOnlySpan<byte> message, ulong k0, ulong k1, int compressionRounds, int finalizationRounds)
    {
        ulong v0 = InitV0 ^ k0, v1 = InitV1 ^ k1, v2 = InitV2 ^ k0, v3 = InitV3 ^ k1;
        var full = message.Length & ~7;
        for (var i = 0; i < full; i += 8)
        {
            var m = BinaryPrimitives.ReadUInt64LittleEndian(message.Slice(i, 8));
            v3 ^= m;
            for (var r = 0; r < compressionRounds; r++)
            {
                Round(ref v0, ref v1, ref v2, ref v3);
            }

            v0 ^= m;
        }

        // The last block holds the remaining 0..7 bytes little-endian and the length (mod 256) in its top byte.
        var b = (ulong)(byte)message.Length << 56;
        var tail = message[full..];
        for (var i = 0; i < tail.Length; i++)
        {
            b |= (ulong)tail[i] << (8 * i);
        }

        return Finish(v0, v1, v2, v3, b, compressionRounds, finalizationRounds);
    }

    /// <summary>
    /// The kernel's <c>hsiphash(&amp;v, 4, key)</c> on a 64-bit kernel (same result as <c>hsiphash_1u32</c>): SipHash-1-3 of
    /// the four little-endian bytes of <paramref name="value"/>, truncated to 32 bits. Key words are <c>unsigned long</c>.
    /// </summary>
    public static uint HsipHash32(uint value, ulong k0, ulong k1)
    {
        ulong v0 = InitV0 ^ k0, v1 = InitV1 ^ k1, v2 = InitV2 ^ k0, v3 = InitV3 ^ k1;

        // A 4-byte message has no full block: it all goes into the final block with the length 4 on top.
        var b = (4UL << 56) | value;
        return (uint)Finish(v0, v1, v2, v3, b, 1, 3);
    }

    /// <summary>SipHash-1-3 of the eight little-endian bytes of <paramref name="value"/> (one full block).</summary>
    public static ulong Hash64(ulong value, ulong k0, ulong k1)
    {
        ulong v0 = InitV0 ^ k0, v1 = InitV1 ^ k1, v2 = InitV2 ^ k0, v3 = InitV3 ^ k1;
        v3 ^= value;
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= value;
        return Finish(v0, v1, v2, v3, 8UL << 56, 1, 3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Finish(ulong v0, ulong v1, ulong v2, ulong v3, ulong b, int compressionRounds, int finalizationRounds)
    {
        v3 ^= b;
        for (var r = 0; r < compressionRounds; r++)
        {
            Round(ref v0, ref v1, ref v2, ref v3);
        }

        v0 ^= b;
        v2 ^= 0xff;
        for (var r = 0; r < finalizationRounds; r++)
        {
            Round(ref v0, ref v1, ref v2, ref v3);
        }

        return v0 ^ v1 ^ v2 ^ v3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1;
        v1 = BitOperations.RotateLeft(v1, 13);
        v1 ^= v0;
        v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3;
        v3 = BitOperations.RotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = BitOperations.RotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = BitOperations.RotateLeft(v1, 17);
        v1 ^= v2;
        v2 = BitOperations.RotateLeft(v2, 32);
    }
}
