using System.Buffers.Binary;
using System.Globalization;

namespace LoadBalancing.Health.Nfs;

/// <summary>ONC RPC v2 (RFC 5531) call building and reply checking, with AUTH_NONE credentials.</summary>
internal static class OncRpc
{
    public const uint PortmapProgram = 100000;
    public const uint PortmapVersion = 2;
    public const uint PortmapGetPort = 3;
    public const uint MountProgram = 100005;
    public const uint MountVersion3 = 3;
    public const uint MountExport = 5;
    public const uint IpProtoTcp = 6;

    /// <summary>Call header length: xid, CALL, rpcvers 2, prog, vers, proc, cred (flavor, length), verf (flavor, length).</summary>
    public const int CallHeaderLength = 40;

    private const uint MessageCall = 0;
    private const uint MessageReply = 1;
    private const uint MessageAccepted = 0;
    private const uint MessageDenied = 1;

    // RFC 5531 §8.2: opaque_auth bodies are at most 400 bytes.
    private const uint MaxAuthBody = 400;

    public static int WriteCall(Span<byte> destination, uint xid, uint program, uint version, uint procedure, ReadOnlySpan<byte> arguments)
    {
        ReadOnlySpan<uint> header = [xid, MessageCall, 2, program, version, procedure, 0, 0, 0, 0];
        for (var i = 0; i < header.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[(i * 4)..], header[i]);
        }

        arguments.CopyTo(destination[CallHeaderLength..]);
        return CallHeaderLength + arguments.Length;
    }

    /// <summary>
    /// Checks a reply to call <paramref name="xid"/> and returns the offset of the procedure's results,
    /// or -1 with <paramref name="error"/> set.
    /// </summary>
    public static int ParseReply(ReadOnlySpan<byte> reply, uint xid, out string? error)
    {
        var reader = new XdrReader(reply);
        if (!reader.TryReadUInt32(out var replyXid) || !reader.TryReadUInt32(out var type) || !reader.TryReadUInt32(out var status))
        {
            return Fail("RPC reply truncated", out error);
        }

        if (replyXid != xid)
        {
            return Fail(Format($"RPC reply xid {replyXid:x8} does not match call {xid:x8}"), out error);
        }

        if (type != MessageReply)
        {
            return Fail(Format($"RPC message type {type} is not a reply"), out error);
        }

        if (status == MessageDenied)
        {
            reader.TryReadUInt32(out var reject);
            return Fail(reject == 0 ? "RPC denied: version mismatch" : "RPC denied: authentication error", out error);
        }

        if (status != MessageAccepted)
        {
            return Fail(Format($"RPC reply status {status} is unknown"), out error);
        }

        if (!reader.TryReadUInt32(out _) || !reader.TryReadOpaque(MaxAuthBody, out _) || !reader.TryReadUInt32(out var accept))
        {
            return Fail("RPC reply truncated", out error);
        }

        if (accept != 0)
        {
            var name = accept switch
            {
                1 => "PROG_UNAVAIL",
                2 => "PROG_MISMATCH",
                3 => "PROC_UNAVAIL",
                4 => "GARBAGE_ARGS",
                5 => "SYSTEM_ERR",
                _ => accept.ToString(CultureInfo.InvariantCulture),
            };
            return Fail($"RPC not accepted: {name}", out error);
        }

        error = null;
        return reply.Length - reader.Remaining;
    }

    private static int Fail(string message, out string? error)
    {
        error = message;
        return -1;
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
