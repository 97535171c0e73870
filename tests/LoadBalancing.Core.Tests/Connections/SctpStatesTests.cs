using LoadBalancing.Connections;

namespace LoadBalancing.Tests.Connections;

public sealed class SctpStatesTests
{
    // Cells of the kernel's sctp_states[] (Linux >= 3.12 table).
    [Theory]
    [InlineData((int)PacketDirection.Input, SctpChunkType.Init, SctpStates.None, SctpStates.Init1)]
    [InlineData((int)PacketDirection.Input, SctpChunkType.Init, SctpStates.Init1, SctpStates.Init)]
    [InlineData((int)PacketDirection.Output, SctpChunkType.InitAck, SctpStates.Init1, SctpStates.CookieSent)]
    [InlineData((int)PacketDirection.Input, SctpChunkType.CookieEcho, SctpStates.CookieSent, SctpStates.CookieReplied)]
    [InlineData((int)PacketDirection.Output, SctpChunkType.CookieAck, SctpStates.CookieReplied, SctpStates.Established)]
    [InlineData((int)PacketDirection.InputOnly, SctpChunkType.CookieEcho, SctpStates.Init1, SctpStates.Established)]
    [InlineData((int)PacketDirection.InputOnly, SctpChunkType.Data, SctpStates.CookieWait, SctpStates.Established)]
    [InlineData((int)PacketDirection.Input, SctpChunkType.Abort, SctpStates.CookieWait, SctpStates.Rejected)]
    [InlineData((int)PacketDirection.Output, SctpChunkType.Abort, SctpStates.Init1, SctpStates.Rejected)]
    [InlineData((int)PacketDirection.Input, SctpChunkType.Shutdown, SctpStates.Established, SctpStates.ShutdownReceived)]
    [InlineData((int)PacketDirection.InputOnly, SctpChunkType.ShutdownAck, SctpStates.Established, SctpStates.Closed)]
    [InlineData((int)PacketDirection.Input, SctpChunkType.Heartbeat, SctpStates.None, SctpStates.Established)]
    public void Next_ReferenceCell_MatchesKernelTable(int direction, SctpChunkType chunk, byte state, byte expected)
        => Assert.Equal(expected, SctpStates.Next((PacketDirection)direction, chunk, state));

    [Fact]
    public void TimeoutMilliseconds_Defaults_AreKernelValues()
        => Assert.Equal(
            [2, 4, 61, 61, 61, 61, 61, 61, 900, 61, 61, 61, 4, 61],
            Enumerable.Range(0, SctpStates.Count).Select(s => SctpStates.TimeoutMilliseconds(s) / 1000));
}
