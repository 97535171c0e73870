using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using LoadBalancing.Grpc;
using LoadBalancing.Grpc.Control;
using LoadBalancing.Listing;
using LoadBalancing.Model;
using LoadBalancing.Rules;

namespace LoadBalancing.Cli;

/// <summary>A running director, through its gRPC control API. Listings are rendered here from the data it returns.</summary>
internal sealed class DirectorTarget : ILbadmTarget
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly string _address;
    private readonly GrpcChannel _channel;
    private readonly Director.DirectorClient _client;

    public DirectorTarget(string address, string? bearerToken)
    {
        _address = address;
        try
        {
            _channel = DirectorChannel.Create(address, bearerToken);
        }
        catch (FormatException e)
        {
            throw new TargetException($"--director {e.Message}", e);
        }

        _client = new Director.DirectorClient(_channel);
    }

    public ListingSnapshot Load() => Call(() => ControlMapper.ToModel(_client.List(new ListRequest(), deadline: Deadline())));

    public void Apply(RuleCommand command)
    {
        Call(() => command.Kind switch
        {
            RuleCommandKind.AddService => _client.AddService(new ServiceRequest { Service = ControlMapper.ToMessage(command.ServiceConfig!) }, deadline: Deadline()),
            RuleCommandKind.EditService => _client.EditService(new ServiceRequest { Service = ControlMapper.ToMessage(command.ServiceConfig!) }, deadline: Deadline()),
            RuleCommandKind.DeleteService => _client.DeleteService(new ServiceKeyRequest { Service = ControlMapper.ToMessage(command.Service!.Value) }, deadline: Deadline()),
            RuleCommandKind.AddServer => _client.AddServer(ServerRequest(command), deadline: Deadline()),
            RuleCommandKind.EditServer => _client.EditServer(ServerRequest(command), deadline: Deadline()),
            RuleCommandKind.DeleteServer => _client.DeleteServer(ServerRequest(command), deadline: Deadline()),
            RuleCommandKind.Clear => _client.Clear(new ClearRequest(), deadline: Deadline()),
            RuleCommandKind.Zero => _client.Zero(
                new ZeroRequest { Service = command.Service is { } key ? ControlMapper.ToMessage(key) : null },
                deadline: Deadline()),
            RuleCommandKind.SetTimeouts => _client.SetTimeouts(
                new Timeouts { Tcp = (uint)command.Timeouts.Tcp, TcpFin = (uint)command.Timeouts.TcpFin, Udp = (uint)command.Timeouts.Udp },
                deadline: Deadline()),
            _ => throw new ArgumentException($"'{command.Kind}' does not change the table.", nameof(command)),
        });
    }

    public void Restore(IReadOnlyList<RuleCommand> commands)
    {
        var request = new RestoreRequest();
        request.Commands.AddRange(commands.Select(ControlMapper.ToMessage));
        Call(() => _client.Restore(request, deadline: Deadline()));
    }

    public IReadOnlyList<ListedConnection> Connections()
    {
        var list = Call(() => _client.ListConnections(new ListConnectionsRequest(), deadline: Deadline()));
        return
        [
            .. list.Entries.Select(e => new ListedConnection
            {
                Protocol = e.Protocol == Protocol.Unspecified ? null : (ServiceProtocol)(int)e.Protocol,
                ExpiresSeconds = e.ExpiresSeconds,
                State = e.State,
                ClientAddress = NetworkAddress.FromBytes(e.ClientAddress.Span),
                ClientPort = (ushort)e.ClientPort,
                VirtualAddress = NetworkAddress.FromBytes(e.VirtualAddress.Span),
                VirtualPort = (ushort)e.VirtualPort,
                DestinationAddress = NetworkAddress.FromBytes(e.DestinationAddress.Span),
                DestinationPort = (ushort)e.DestinationPort,
            }),
        ];
    }

    public void Dispose() => _channel.Dispose();

    private static ServerRequest ServerRequest(RuleCommand command)
        => new() { Service = ControlMapper.ToMessage(command.Service!.Value), Server = ControlMapper.ToMessage(command.Server!) };

    private static DateTime Deadline() => DateTime.UtcNow + CallTimeout;

    private T Call<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
        {
            var line = e.Trailers.GetValue(ControlErrors.RuleLineTrailer);
            throw new RuleApplyException(e.Status.Detail, line is null ? 1 : int.Parse(line, CultureInfo.InvariantCulture));
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument && e.Trailers.GetValue(ControlErrors.KindTrailer) == ControlErrors.InvalidTable)
        {
            throw new ConfigValidationException(e.Status.Detail);
        }
        catch (RpcException e)
        {
            var detail = e.StatusCode switch
            {
                StatusCode.Unavailable => $"cannot reach the director ({e.Status.Detail})",
                StatusCode.Unauthenticated => $"not authorized: {e.Status.Detail} (set LBADM_DIRECTOR_TOKEN)",
                _ => $"{e.StatusCode}: {e.Status.Detail}",
            };
            throw new TargetException($"director {_address}: {detail}", e);
        }
    }
}
