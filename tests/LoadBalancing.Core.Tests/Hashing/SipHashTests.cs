using LoadBalancing.Hashing;

namespace LoadBalancing.Tests.Hashing;

public sealed class SipHashTests
{
    // Key 00 01 … 0f and messages 00 01 … (n−1), the reference test set of github.com/veorq/SipHash, as the kernel
    // uses it in lib/tests/siphash_kunit.c (test_vectors_siphash, and test_vectors_hsiphash for 64-bit kernels).
    private const ulong K0 = 0x0706050403020100;
    private const ulong K1 = 0x0f0e0d0c0b0a0908;

    [Theory]
    [InlineData(0, 0x726fdb47dd0e0e31UL)]
    [InlineData(1, 0x74f839c593dc67fdUL)]
    [InlineData(7, 0xab0200f58b01d137UL)]
    [InlineData(8, 0x93f5f5799a932462UL)]
    [InlineData(15, 0xa129ca6149be45e5UL)]
    [InlineData(16, 0x3f2acc7f57c29bdbUL)]
    [InlineData(63, 0x958a324ceb064572UL)]
    public void Compute_SipHash24ReferenceVectors_Match(int length, ulong expected)
        => Assert.Equal(expected, SipHash.Compute(Message(length), K0, K1, 2, 4));

    [Theory]
    [InlineData(0, 0x050fc4dcU)]
    [InlineData(4, 0x88d38328U)]
    [InlineData(8, 0x8d299a8eU)]
    [InlineData(15, 0x2a519956U)]
    [InlineData(63, 0xb7bbb3a8U)]
    public void Compute_SipHash13Truncated_MatchesKernelHsiphashVectors(int length, uint expected)
        => Assert.Equal(expected, (uint)SipHash.Compute(Message(length), K0, K1, 1, 3));

    [Fact]
    public void HsipHash32_FirstFourBytes_MatchesKernelHsiphash1u32Vector()
        => Assert.Equal(0x88d38328U, SipHash.HsipHash32(0x03020100, K0, K1)); // hsiphash_1u32 check in the kunit test

    [Fact]
    public void Hash64_EightBytes_AgreesWithGeneralFormAndKernelVector()
    {
        var value = SipHash.Hash64(0x0706050403020100, K0, K1);

        Assert.Equal(SipHash.Compute(Message(8), K0, K1, 1, 3), value);
        Assert.Equal(0x8d299a8eU, (uint)value);
    }

    private static byte[] Message(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)i)];
}
