using LoadBalancing.Forwarding.Linux;
using LoadBalancing.Forwarding.Tests.DirectRouting;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Tests.Linux;

/// <summary>
/// The forwarder's packet sockets on a veth pair in a namespace made by the test: a fanout group of two sees frames
/// coming in, and none going out of the interface, whoever sends them (a frame the tcx classifier redirects goes out
/// through the same taps; a socket in a fanout group is only spared its own group's frames unless the group itself
/// ignores outgoing frames).
/// </summary>
public sealed class PacketSocketTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FanoutGroup_ReceivesIncomingFrames_AndNoOutgoingFrameFromAnotherSender(bool fanoutByCpu)
    {
        NetLab.RequireOrSkip();
        var ct = TestContext.Current.CancellationToken;
        var ns = "lbps" + Random.Shared.Next(0x10000).ToString("x4");
        await NetLab.RunAsync(ct, "ip", "netns", "add", ns);
        try
        {
            await NetLab.RunAsync(ct, "ip", "-n", ns, "link", "add", "name", "va", "type", "veth", "peer", "name", "vb");
            await NetLab.RunAsync(ct, "ip", "-n", ns, "link", "set", "va", "up");
            await NetLab.RunAsync(ct, "ip", "-n", ns, "link", "set", "vb", "up");
            int incoming = 0, outgoing = 0;
            await NetLab.InNamespaceAsync(ns, () =>
            {
                var filter = ClassicBpf.Build([NetworkAddress.Parse("10.77.0.100")]);
                var group = Random.Shared.Next(1, 0xFFFF);
                using var first = PacketSocket.Open("va", filter, group, TimeSpan.FromMilliseconds(300), useRing: false, fanoutByCpu: fanoutByCpu);
                using var second = PacketSocket.Open("va", filter, group, TimeSpan.FromMilliseconds(300), useRing: false, fanoutByCpu: fanoutByCpu);
                using var senderOnA = PacketSocket.Open("va", filter, -1, TimeSpan.FromMilliseconds(300), useRing: false);
                using var senderOnB = PacketSocket.Open("vb", filter, -1, TimeSpan.FromMilliseconds(300), useRing: false);
                var frame = new FrameBuilder().Ethernet("02:77:00:00:00:02", "02:77:00:00:00:0a").Tcp(40000, 80, flags: 0x10).Build();

                // Out of a (another socket's frame, as a redirected one): the group must not see it.
                Assert.True(senderOnA.Send(frame));
                outgoing = ReceiveAll(first, second);

                // Out of b, so into a: exactly one socket of the group gets it (the positive control).
                Assert.True(senderOnB.Send(frame));
                incoming = ReceiveAll(first, second);
                return Task.CompletedTask;
            });

            Assert.Equal(1, incoming);
            Assert.Equal(0, outgoing);
        }
        finally
        {
            await NetLab.RunAsync(CancellationToken.None, "ip", "netns", "delete", ns);
        }
    }

    private static int ReceiveAll(params PacketSocket[] sockets)
    {
        var buffer = new byte[2048];
        var count = 0;
        foreach (var socket in sockets)
        {
            while (socket.Receive(buffer) > 0)
            {
                count++;
            }
        }

        return count;
    }
}
