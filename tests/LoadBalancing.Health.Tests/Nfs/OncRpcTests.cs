using System.Buffers.Binary;
using LoadBalancing.Health.Nfs;

namespace LoadBalancing.Health.Tests.Nfs;

public sealed class OncRpcTests
{
    [Fact]
    public void WriteCall_MountExport_Rfc5531Header()
    {
        var buffer = new byte[OncRpc.CallHeaderLength];
        var length = OncRpc.WriteCall(buffer, 0xCAFEBABE, 100005, 3, 5, []);
        var expected = new RpcFrames().U32(0xCAFEBABE).U32(0).U32(2).U32(100005).U32(3).U32(5).U32(0).U32(0).U32(0).U32(0).ToArray();
        Assert.Equal(expected, buffer[..length]);
    }

    [Fact]
    public void ParseReply_Accepted_OffsetOfResults()
    {
        var reply = RpcFrames.AcceptedReply(7).U32(20048).ToArray();
        var offset = OncRpc.ParseReply(reply, 7, out var error);
        Assert.Null(error);
        Assert.Equal(20048u, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(offset)));
    }

    [Fact]
    public void ParseReply_VerifierWithBody_Skipped()
    {
        // Verifier flavor 1 with a 5-byte body padded to 8.
        var reply = new RpcFrames().U32(7).U32(1).U32(0).U32(1).U32(5).U32(0x01020304).U32(0x05000000).U32(0).U32(42).ToArray();
        var offset = OncRpc.ParseReply(reply, 7, out var error);
        Assert.Null(error);
        Assert.Equal(reply.Length - 4, offset);
    }

    [Theory]
    [InlineData(1u, "PROG_UNAVAIL")]
    [InlineData(3u, "PROC_UNAVAIL")]
    public void ParseReply_NotAccepted_ErrorNamesStatus(uint status, string name)
    {
        Assert.Equal(-1, OncRpc.ParseReply(RpcFrames.AcceptedReply(9, status).ToArray(), 9, out var error));
        Assert.Contains(name, error);
    }

    [Fact]
    public void ParseReply_WrongXid_Error()
    {
        Assert.Equal(-1, OncRpc.ParseReply(RpcFrames.AcceptedReply(1).ToArray(), 2, out var error));
        Assert.Contains("xid", error);
    }

    [Fact]
    public void ParseReply_Denied_Error()
    {
        Assert.Equal(-1, OncRpc.ParseReply(new RpcFrames().U32(4).U32(1).U32(1).U32(1).U32(2).ToArray(), 4, out var error));
        Assert.Contains("authentication", error);
    }

    [Fact]
    public void ParseReply_EveryTruncation_ErrorNeverThrows()
    {
        var reply = RpcFrames.AcceptedReply(3).ToArray();
        for (var length = 0; length < reply.Length; length++)
        {
            Assert.Equal(-1, OncRpc.ParseReply(reply.AsSpan(0, length), 3, out var error));
            Assert.NotNull(error);
        }
    }

    [Fact]
    public void MountExportList_TwoExports_PathsAndGroups()
    {
        var results = new RpcFrames().Exports(("/srv/a", []), ("/srv/bb", ["10.0.0.0/8", "@ops"])).ToArray();
        Assert.True(MountExportList.TryParse(results, out var exports, out var error), error);
        Assert.Equal(2, exports.Length);
        Assert.Equal("/srv/a", exports[0].Path);
        Assert.Empty(exports[0].Groups);
        Assert.Equal("/srv/bb", exports[1].Path);
        Assert.Equal(["10.0.0.0/8", "@ops"], exports[1].Groups);
    }

    [Fact]
    public void MountExportList_Empty_NoExports()
    {
        Assert.True(MountExportList.TryParse(new RpcFrames().U32(0).ToArray(), out var exports, out _));
        Assert.Empty(exports);
    }

    [Fact]
    public void MountExportList_EveryTruncation_FalseNeverThrows()
    {
        var results = new RpcFrames().Exports(("/srv/a", ["h1"]), ("/srv/b", [])).ToArray();
        for (var length = 0; length < results.Length; length++)
        {
            Assert.False(MountExportList.TryParse(results.AsSpan(0, length), out _, out var error));
            Assert.NotNull(error);
        }
    }

    [Fact]
    public void MountExportList_PathLongerThanMntPathLen_False()
    {
        var results = new RpcFrames().Exports(("/" + new string('x', 1024), [])).ToArray();
        Assert.False(MountExportList.TryParse(results, out _, out _));
    }

    [Fact]
    public void MountExportList_BoolNotZeroOrOne_False()
        => Assert.False(MountExportList.TryParse(new RpcFrames().U32(2).ToArray(), out _, out _));

    [Fact]
    public void MountExportList_HugeLengthField_FalseWithoutAllocating()
        => Assert.False(MountExportList.TryParse(new RpcFrames().U32(1).U32(0xFFFFFFF0).ToArray(), out _, out _));
}
