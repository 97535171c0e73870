using LoadBalancing.Connections;
using LoadBalancing.Model;

namespace LoadBalancing.Tests.Connections;

public sealed class TcpStatesTests
{
    // Cells read from the kernel's tcp_states[] (lvs-reference §4.3), chosen where the three tables differ.
    [Theory]
    [InlineData((int)PacketDirection.Input, TcpFlags.Fin, TcpStates.Established, TcpStates.CloseWait)]
    [InlineData((int)PacketDirection.InputOnly, TcpFlags.Fin, TcpStates.Established, TcpStates.FinWait)]
    [InlineData((int)PacketDirection.Output, TcpFlags.Fin, TcpStates.Established, TcpStates.FinWait)]
    [InlineData((int)PacketDirection.Input, TcpFlags.Rst, TcpStates.SynAck, TcpStates.SynRecv)]
    [InlineData((int)PacketDirection.InputOnly, TcpFlags.Rst, TcpStates.SynAck, TcpStates.Close)]
    [InlineData((int)PacketDirection.Output, TcpFlags.Rst, TcpStates.TimeWait, TcpStates.TimeWait)]
    [InlineData((int)PacketDirection.Output, TcpFlags.Ack, TcpStates.Listen, TcpStates.Established)]
    [InlineData((int)PacketDirection.Input, TcpFlags.Ack, TcpStates.LastAck, TcpStates.Close)]
    [InlineData((int)PacketDirection.Output, TcpFlags.Ack, TcpStates.LastAck, TcpStates.LastAck)]
    [InlineData((int)PacketDirection.Output, TcpFlags.Syn, TcpStates.None, TcpStates.SynSent)]
    [InlineData((int)PacketDirection.Input, TcpFlags.Syn, TcpStates.SynSent, TcpStates.Established)]
    [InlineData((int)PacketDirection.InputOnly, TcpFlags.Ack, TcpStates.FinWait, TcpStates.FinWait)]
    [InlineData((int)PacketDirection.Output, TcpFlags.Fin, TcpStates.CloseWait, TcpStates.TimeWait)]
    public void Next_ReferenceCell_MatchesKernelTable(int direction, TcpFlags flags, byte state, byte expected)
        => Assert.Equal(expected, TcpStates.Next((PacketDirection)direction, flags, state));

    [Fact]
    public void Next_FlagPriority_RstBeforeSynBeforeFinBeforeAck()
    {
        // tcp_state_idx: rst, then syn, then fin, then ack.
        Assert.Equal(TcpStates.Close, TcpStates.Next(PacketDirection.Input, TcpFlags.Syn | TcpFlags.Rst, TcpStates.Established));
        Assert.Equal(TcpStates.Established, TcpStates.Next(PacketDirection.Input, TcpFlags.Syn | TcpFlags.Fin, TcpStates.SynSent));
        Assert.Equal(TcpStates.CloseWait, TcpStates.Next(PacketDirection.Input, TcpFlags.Fin | TcpFlags.Ack, TcpStates.Established));
    }

    [Fact]
    public void Next_NoFlags_GoesToClose()
        => Assert.Equal(TcpStates.Close, TcpStates.Next(PacketDirection.Input, TcpFlags.Psh, TcpStates.Established));

    [Fact]
    public void TimeoutMilliseconds_Defaults_AreKernelValues()
    {
        var t = TimeoutConfig.Default;
        Assert.Equal(
            [2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120],
            Enumerable.Range(0, TcpStates.Count).Select(s => TcpStates.TimeoutMilliseconds(s, t) / 1000));
    }

    [Fact]
    public void IsActive_PreEstablishedStates_AreActive()
        => Assert.Equal(
            ["ESTABLISHED", "SYN_SENT", "SYN_RECV", "SYNACK"],
            Enumerable.Range(0, TcpStates.Count).Where(TcpStates.IsActive).Select(TcpStates.Name));
}
