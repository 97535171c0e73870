using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace LoadBalancing.Health.Nfs;

/// <summary>
/// Lists a server's NFS exports the way <c>showmount -e</c> does: PMAPPROC_GETPORT (program 100000 v2,
/// procedure 3) for MOUNT v3 over TCP, then MOUNTPROC3_EXPORT (program 100005 v3, procedure 5). Every
/// failure, malformed replies included, comes back as an error string.
/// </summary>
internal static class NfsMountClient
{
    private const int MaxReplyLength = 1 << 20;

    public static async ValueTask<(ImmutableArray<NfsExport> Exports, string? Error)> GetExportsAsync(
        IPAddress address, int portmapperPort, int mountPort, CancellationToken cancellationToken, Func<AddressFamily, Socket>? socketFactory = null)
    {
        // Tests hand in a factory that creates the sockets inside another network namespace.
        socketFactory ??= static family => new Socket(family, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (mountPort == 0)
            {
                var (port, error) = await GetMountPortAsync(new IPEndPoint(address, portmapperPort), socketFactory, cancellationToken).ConfigureAwait(false);
                if (error is not null)
                {
                    return ([], error);
                }

                mountPort = port;
            }

            var (results, callError) = await CallAsync(new IPEndPoint(address, mountPort), socketFactory, OncRpc.MountProgram, OncRpc.MountVersion3, OncRpc.MountExport, [], cancellationToken).ConfigureAwait(false);
            if (results is null)
            {
                return ([], $"MOUNT EXPORT: {callError}");
            }

            return MountExportList.TryParse(results, out var exports, out var parseError)
                ? (exports, null)
                : ([], $"MOUNT EXPORT: {parseError}");
        }
        catch (SocketException ex)
        {
            return ([], $"RPC to {address}: {ex.SocketErrorCode}");
        }
    }

    internal static async ValueTask<(int Port, string? Error)> GetMountPortAsync(IPEndPoint portmapper, Func<AddressFamily, Socket> socketFactory, CancellationToken cancellationToken)
    {
        // mapping { prog, vers, prot, port }; the port is ignored in a GETPORT call.
        var arguments = new byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(arguments, OncRpc.MountProgram);
        BinaryPrimitives.WriteUInt32BigEndian(arguments.AsSpan(4), OncRpc.MountVersion3);
        BinaryPrimitives.WriteUInt32BigEndian(arguments.AsSpan(8), OncRpc.IpProtoTcp);
        var (results, error) = await CallAsync(portmapper, socketFactory, OncRpc.PortmapProgram, OncRpc.PortmapVersion, OncRpc.PortmapGetPort, arguments, cancellationToken).ConfigureAwait(false);
        if (results is null)
        {
            return (0, $"portmapper GETPORT: {error}");
        }

        if (results.Length < 4)
        {
            return (0, "portmapper GETPORT: reply truncated");
        }

        var port = BinaryPrimitives.ReadUInt32BigEndian(results);
        return port switch
        {
            0 => (0, "MOUNT v3/tcp is not registered with the portmapper"),
            > 65535 => (0, "portmapper GETPORT: port out of range"),
            _ => ((int)port, null),
        };
    }

    private static async ValueTask<(byte[]? Results, string? Error)> CallAsync(
        IPEndPoint endPoint, Func<AddressFamily, Socket> socketFactory, uint program, uint version, uint procedure, byte[] arguments, CancellationToken cancellationToken)
    {
        using var socket = socketFactory(endPoint.AddressFamily);
        await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        var xid = BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4));
        var call = new byte[OncRpc.CallHeaderLength + arguments.Length];
        OncRpc.WriteCall(call, xid, program, version, procedure, arguments);
        await RpcRecordStream.SendRecordAsync(socket, call, cancellationToken).ConfigureAwait(false);
        var (reply, error) = await RpcRecordStream.ReceiveRecordAsync(socket, MaxReplyLength, cancellationToken).ConfigureAwait(false);
        if (reply is null)
        {
            return (null, error);
        }

        var offset = OncRpc.ParseReply(reply, xid, out error);
        return offset < 0 ? (null, error) : (reply[offset..], null);
    }
}
