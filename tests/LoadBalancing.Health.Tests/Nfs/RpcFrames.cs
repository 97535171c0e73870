using System.Buffers.Binary;
using System.Text;

namespace LoadBalancing.Health.Tests.Nfs;

/// <summary>Builds XDR / RPC reply frames by hand from RFC 5531 and RFC 1813, independent of the code under test.</summary>
internal sealed class RpcFrames
{
    private readonly List<byte> _bytes = [];

    public byte[] ToArray() => [.. _bytes];

    public RpcFrames U32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public RpcFrames Str(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        U32((uint)bytes.Length);
        _bytes.AddRange(bytes);
        for (var i = bytes.Length; i % 4 != 0; i++)
        {
            _bytes.Add(0);
        }

        return this;
    }

    /// <summary>xid, REPLY (1), MSG_ACCEPTED (0), verifier AUTH_NONE with empty body, accept_stat.</summary>
    public static RpcFrames AcceptedReply(uint xid, uint acceptStat = 0) => new RpcFrames().U32(xid).U32(1).U32(0).U32(0).U32(0).U32(acceptStat);

    /// <summary>An EXPORT result: for each export, TRUE + dirpath + (TRUE + group)* + FALSE; then FALSE.</summary>
    public RpcFrames Exports(params (string Path, string[] Groups)[] exports)
    {
        foreach (var (path, groups) in exports)
        {
            U32(1).Str(path);
            foreach (var group in groups)
            {
                U32(1).Str(group);
            }

            U32(0);
        }

        return U32(0);
    }
}
