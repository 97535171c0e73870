using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Forwarding.Linux.Bpf;
using LoadBalancing.Forwarding.Tests.DirectRouting;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Tests.Linux;

/// <summary>The fast path's batch read of its flow map (<c>BPF_MAP_LOOKUP_BATCH</c>) against a real kernel map.</summary>
public sealed class BpfSystemCallTests
{
    [Theory]
    [InlineData(3000, 256)]
    [InlineData(1, 1024)]
    [InlineData(0, 16)]
    public void LookupBatch_ReadsEveryEntryOnceWithItsValue(int entries, int batchSize)
    {
        XdpTestSupport.RequireOrSkip();
        using var map = BpfSystemCall.CreateMap(BpfSystemCall.MapTypeLruHash, XdpFlowKey.Length, XdpFlowValue.Length, 4096, "lb_test_batch");
        var client = NetworkAddress.Parse("10.77.0.10");
        var vip = NetworkAddress.Parse("10.77.0.100");
        for (var i = 0; i < entries; i++)
        {
            var key = XdpFlowKey.Create(ServiceProtocol.Tcp, client, (ushort)(10000 + i), vip, 80);
            var value = new XdpFlowValue { Packets = (ulong)i, Bytes = (ulong)i * 100 };
            BpfSystemCall.Update(map, in key, in value);
        }

        var keys = new XdpFlowKey[batchSize];
        var values = new XdpFlowValue[batchSize];
        var seen = new Dictionary<ushort, XdpFlowValue>();
        ulong position = 0;
        var first = true;
        bool done;
        var calls = 0;
        do
        {
            var count = BpfSystemCall.LookupBatch<XdpFlowKey, XdpFlowValue>(map, first, ref position, keys, values, out done);
            first = false;
            calls++;
            Assert.InRange(count, 0, batchSize);
            for (var i = 0; i < count; i++)
            {
                Assert.True(seen.TryAdd(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(keys[i].SourcePort), values[i]), "an entry came twice");
            }
        }
        while (!done && calls < 10_000);

        Assert.True(done);
        Assert.Equal(entries, seen.Count);
        foreach (var (port, value) in seen)
        {
            Assert.Equal((ulong)(port - 10000), value.Packets);
            Assert.Equal(value.Packets * 100, value.Bytes);
        }
    }
}
