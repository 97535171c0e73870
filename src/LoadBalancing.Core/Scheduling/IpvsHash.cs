using LoadBalancing.Hashing;
using LoadBalancing.Model;

namespace LoadBalancing.Scheduling;

/// <summary>The hash functions of the IPVS hashing and locality schedulers.</summary>
internal static class IpvsHash
{
    /// <summary>
    /// <c>GOLDEN_RATIO_32</c> of <c>include/linux/hash.h</c> (since Linux 4.7): 2^32 · (1 − φ⁻¹) rounded to odd, the
    /// negative of the golden ratio used by Knuth's multiplicative hashing. Not 2654435761 (0x9E3779B1), which
    /// the older open-coded IPVS hashes used.
    /// </summary>
    public const uint GoldenRatio32 = 0x61C88647;

    /// <summary>
    /// <c>hash_32(val, bits)</c>: multiply by <see cref="GoldenRatio32"/> modulo 2^32 and keep the top
    /// <paramref name="bits"/> bits, because multiplication only carries changes towards the high end.
    /// x86-64 has no arch-specific <c>__hash_32</c>, so this generic form is what runs there.
    /// </summary>
    public static uint Hash32(uint value, int bits) => unchecked(value * GoldenRatio32) >> (32 - bits);

    /// <summary>The first Maglev key of <c>ip_vs_mh.c</c> <c>generate_hash_secret</c>: both words 2654435761.</summary>
    public const ulong MaglevKey1 = 2654435761;

    /// <summary>The second Maglev key: both words 2654446892.</summary>
    public const ulong MaglevKey2 = 2654446892;

    /// <summary>
    /// <c>ip_vs_mh_hashkey</c>: <c>hsiphash</c> of the 32-bit sum <c>offset + port + ntohl(fold(addr))</c>
    /// (wrapping, as the C <c>unsigned int</c> does).
    /// </summary>
    public static uint Maglev(NetworkAddress address, ushort port, ulong key, uint offset = 0)
        => SipHash.HsipHash32(unchecked(offset + port + address.Fold()), key, key);
}
