using System.Globalization;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using LoadBalancing.Director.Configuration;
using LoadBalancing.Director.Connections;
using LoadBalancing.Grpc;
using LoadBalancing.Grpc.Control;
using LoadBalancing.Health;
using LoadBalancing.Health.Outliers;
using LoadBalancing.Model;
using LoadBalancing.Rules;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Director.Control;

/// <summary>
/// The control API: every change becomes a Core <see cref="RuleCommand"/> applied by <see cref="RuleEditor"/>
/// (the same code as <c>lbadm --rules-file</c>), so refusals carry ipvsadm's messages; a failed call changes nothing.
/// </summary>
internal sealed partial class DirectorControlService(
    DirectorTable table,
    IEnumerable<IConnectionSource> connections,
    HealthEventSource health,
    ILogger<DirectorControlService> logger) : Grpc.Control.Director.DirectorBase
{
    public override Task<ChangeReply> AddService(ServiceRequest request, ServerCallContext context)
        => Change(context, () => new RuleCommand { Kind = RuleCommandKind.AddService, ServiceConfig = ControlMapper.ToModel(request.Service), Service = ControlMapper.ToModel(request.Service).Key });

    public override Task<ChangeReply> EditService(ServiceRequest request, ServerCallContext context)
        => Change(context, () => new RuleCommand { Kind = RuleCommandKind.EditService, ServiceConfig = ControlMapper.ToModel(request.Service), Service = ControlMapper.ToModel(request.Service).Key });

    public override Task<ChangeReply> DeleteService(ServiceKeyRequest request, ServerCallContext context)
        => Change(context, () => new RuleCommand { Kind = RuleCommandKind.DeleteService, Service = ControlMapper.ToModel(request.Service) });

    public override Task<ChangeReply> AddServer(ServerRequest request, ServerCallContext context)
        => Change(context, () => ServerCommand(RuleCommandKind.AddServer, request));

    public override Task<ChangeReply> EditServer(ServerRequest request, ServerCallContext context)
        => Change(context, () => ServerCommand(RuleCommandKind.EditServer, request));

    public override Task<ChangeReply> DeleteServer(ServerRequest request, ServerCallContext context)
        => Change(context, () => ServerCommand(RuleCommandKind.DeleteServer, request));

    public override Task<ChangeReply> Clear(ClearRequest request, ServerCallContext context)
        => Change(context, () => new RuleCommand { Kind = RuleCommandKind.Clear });

    public override Task<ChangeReply> SetTimeouts(Timeouts request, ServerCallContext context)
        => Change(context, () => ControlMapper.ToModel(new Command { Kind = CommandKind.SetTimeouts, Timeouts = request }));

    public override Task<ChangeReply> Zero(ZeroRequest request, ServerCallContext context)
        => Guard(context, () =>
        {
            VirtualServiceKey? key = request.Service is null ? null : ControlMapper.ToModel(request.Service);
            return new ChangeReply { Generation = table.Zero(key) };
        });

    public override Task<ChangeReply> Restore(RestoreRequest request, ServerCallContext context)
        => Guard(context, () =>
        {
            var commands = request.Commands.Select(ControlMapper.ToModel).ToList();
            var names = table.SchedulerNames;
            var generation = table.Change(config => RuleEditor.ApplyAll(config, commands.Where(c => c.Kind != RuleCommandKind.Zero), names));

            // -Z lines zero runtime counters; the configuration only had to accept them.
            foreach (var zero in commands.Where(c => c.Kind == RuleCommandKind.Zero))
            {
                generation = table.Zero(zero.Service);
            }

            Log.Changed(logger, context.Method, generation);
            return new ChangeReply { Generation = generation };
        });

    public override Task<Table> List(ListRequest request, ServerCallContext context)
        => Task.FromResult(ControlMapper.ToMessage(table.Snapshot(), table.Generation));

    public override Task<ConnectionList> ListConnections(ListConnectionsRequest request, ServerCallContext context)
    {
        var list = new ConnectionList();
        foreach (var c in connections.SelectMany(s => s.GetConnections()))
        {
            list.Entries.Add(ToEntry(c));
        }

        return Task.FromResult(list);
    }

    public override async Task WatchHealth(WatchHealthRequest request, IServerStreamWriter<HealthEvent> responseStream, ServerCallContext context)
    {
        if (health.Checker is not { } checker)
        {
            throw Refuse(context, StatusCode.FailedPrecondition, "health checks are not enabled in this director (AddHealthChecks)", []);
        }

        // Subscribed before the current states are read, so no change falls in between; a watcher that falls more
        // than the checker's change buffer behind loses the oldest changes. Ejections share the buffer.
        var detector = health.Detector;
        var events = Channel.CreateBounded<HealthEvent>(new BoundedChannelOptions(HealthChecker.ChangeBufferCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        void OnChanged(object? sender, HealthChange change) => events.Writer.TryWrite(new HealthEvent
        {
            Kind = HealthEventKind.Check,
            Target = change.Target.Name,
            State = ToMessage(change.State),
            PreviousState = ToMessage(change.PreviousState),
            Weight = change.Weight,
            Reason = change.Reason ?? "",
            TimestampUnixMs = change.Timestamp.ToUnixTimeMilliseconds(),
        });
        void OnEjection(object? sender, OutlierChange change) => events.Writer.TryWrite(ToEvent(checker, change));
        checker.Changed += OnChanged;
        if (detector is not null)
        {
            detector.Changed += OnEjection;
        }

        try
        {
            // The current states are read after subscribing, then the headers go out: a client that awaits them
            // knows that every later change comes as a live event.
            var current = new List<HealthEvent>();
            foreach (var target in checker.Targets.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                if (checker.TryGetStatus(target.Name, out var state, out var weight))
                {
                    current.Add(new HealthEvent { Kind = HealthEventKind.Check, Target = target.Name, State = ToMessage(state), PreviousState = ToMessage(state), Weight = weight, Current = true });
                }
            }

            current.AddRange(CurrentEjections(detector));
            await context.WriteResponseHeadersAsync([]).ConfigureAwait(false);
            foreach (var snapshot in current)
            {
                await responseStream.WriteAsync(snapshot, context.CancellationToken).ConfigureAwait(false);
            }

            await foreach (var next in events.Reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(next, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            checker.Changed -= OnChanged;
            if (detector is not null)
            {
                detector.Changed -= OnEjection;
            }
        }
    }

    public override async Task WatchConnections(WatchConnectionsRequest request, IServerStreamWriter<ConnectionEvent> responseStream, ServerCallContext context)
    {
        // The connection tables raise no events (the packet path stays free of them): they are sampled and diffed.
        var interval = TimeSpan.FromMilliseconds(request.IntervalMs == 0 ? 500 : Math.Max(50, request.IntervalMs));
        var known = new Dictionary<ConnectionKey, ConnectionInfo>();
        var first = true;
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                var now = new Dictionary<ConnectionKey, ConnectionInfo>();
                foreach (var c in connections.SelectMany(s => s.GetConnections()))
                {
                    now[ConnectionKey.Of(c)] = c;
                }

                foreach (var (key, c) in now)
                {
                    ConnectionEventKind? kind = !known.TryGetValue(key, out var before) ? ConnectionEventKind.Added
                        : before.State != c.State ? ConnectionEventKind.StateChanged
                        : null;
                    if (kind is { } k)
                    {
                        await responseStream.WriteAsync(new ConnectionEvent { Kind = k, Entry = ToEntry(c), Current = first }, context.CancellationToken).ConfigureAwait(false);
                    }
                }

                foreach (var (key, c) in known)
                {
                    if (!now.ContainsKey(key))
                    {
                        await responseStream.WriteAsync(new ConnectionEvent { Kind = ConnectionEventKind.Removed, Entry = ToEntry(c with { Expires = TimeSpan.Zero }) }, context.CancellationToken).ConfigureAwait(false);
                    }
                }

                known = now;
                first = false;
            }
            while (await timer.WaitForNextTickAsync(context.CancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
        }
    }

    public override async Task Watch(WatchRequest request, IServerStreamWriter<Table> responseStream, ServerCallContext context)
    {
        // One pending signal is enough: every write sends the whole table as it is then.
        var signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        void OnChanged(object? sender, EventArgs e) => signal.Writer.TryWrite(true);
        table.Changed += OnChanged;
        try
        {
            await responseStream.WriteAsync(ControlMapper.ToMessage(table.Snapshot(), table.Generation), context.CancellationToken).ConfigureAwait(false);
            while (await signal.Reader.WaitToReadAsync(context.CancellationToken).ConfigureAwait(false))
            {
                signal.Reader.TryRead(out _);
                await responseStream.WriteAsync(ControlMapper.ToMessage(table.Snapshot(), table.Generation), context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            table.Changed -= OnChanged;
        }
    }

    /// <summary>The servers outlier detection holds ejected when a watch starts, as current EJECTED events.</summary>
    private List<HealthEvent> CurrentEjections(OutlierDetector? detector)
    {
        var current = new List<HealthEvent>();
        if (detector is null || health.Checker is not { } checker)
        {
            return current;
        }

        foreach (var service in table.Table.Services)
        {
            foreach (var destination in service.Destinations)
            {
                if (detector.IsEjected(destination))
                {
                    var name = ServiceTableHealthAdapter.TargetName(destination);
                    var state = checker.TryGetStatus(name, out var checkState, out _) ? ToMessage(checkState) : Grpc.Control.HealthState.Up;
                    current.Add(new HealthEvent { Kind = HealthEventKind.Ejected, Target = name, State = state, PreviousState = state, Weight = 0, Current = true });
                }
            }
        }

        current.Sort((a, b) => string.CompareOrdinal(a.Target, b.Target));
        return current;
    }

    private static HealthEvent ToEvent(HealthChecker checker, OutlierChange change)
    {
        var name = ServiceTableHealthAdapter.TargetName(change.Destination);
        var known = checker.TryGetStatus(name, out var checkState, out var checkWeight);
        var state = known ? ToMessage(checkState) : Grpc.Control.HealthState.Up;
        return new HealthEvent
        {
            Kind = change.IsEjected ? HealthEventKind.Ejected : HealthEventKind.Returned,
            Target = name,
            State = state,
            PreviousState = state,
            Weight = change.IsEjected ? 0 : known ? checkWeight : change.Destination.Config.Weight,
            Reason = change.IsEjected ? ReasonText(change.Reason) : "",
            EjectionMs = change.IsEjected ? (long)change.EjectionTime.TotalMilliseconds : 0,
            TimestampUnixMs = change.Timestamp.ToUnixTimeMilliseconds(),
        };
    }

    private static string ReasonText(OutlierEjectionReason reason) => reason switch
    {
        OutlierEjectionReason.ConsecutiveFailures => "consecutive failures",
        OutlierEjectionReason.SuccessRate => "success rate",
        OutlierEjectionReason.FailurePercentage => "failure percentage",
        _ => reason.ToString(),
    };

    private static Grpc.Control.HealthState ToMessage(Health.HealthState state)
        => state == Health.HealthState.Up ? Grpc.Control.HealthState.Up : Grpc.Control.HealthState.Down;

    private static ConnectionEntry ToEntry(ConnectionInfo c) => new()
    {
        Protocol = (Protocol)(int)c.Protocol,
        ExpiresSeconds = (uint)Math.Max(0, c.Expires.TotalSeconds),
        State = c.State,
        ClientAddress = Bytes(c.ClientAddress),
        ClientPort = c.ClientPort,
        VirtualAddress = Bytes(c.VirtualAddress),
        VirtualPort = c.VirtualPort,
        DestinationAddress = Bytes(c.DestinationAddress),
        DestinationPort = c.DestinationPort,
    };

    private static RuleCommand ServerCommand(RuleCommandKind kind, ServerRequest request) => new()
    {
        Kind = kind,
        Service = ControlMapper.ToModel(request.Service),
        Server = ControlMapper.ToModel(request.Server),
    };

    private static ByteString Bytes(NetworkAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        return ByteString.CopyFrom(bytes[..address.WriteBytes(bytes)]);
    }

    private Task<ChangeReply> Change(ServerCallContext context, Func<RuleCommand> command)
        => Guard(context, () =>
        {
            var rule = command();
            var names = table.SchedulerNames;
            var generation = table.Change(config => RuleEditor.Apply(config, rule, names));
            Log.Changed(logger, context.Method, generation);
            return new ChangeReply { Generation = generation };
        });

    private Task<T> Guard<T>(ServerCallContext context, Func<T> action)
    {
        try
        {
            return Task.FromResult(action());
        }
        catch (FormatException e)
        {
            throw Refuse(context, StatusCode.InvalidArgument, e.Message, new Metadata { { ControlErrors.KindTrailer, ControlErrors.MalformedRequest } });
        }
        catch (RuleApplyException e)
        {
            throw Refuse(context, StatusCode.FailedPrecondition, e.Message, new Metadata { { ControlErrors.RuleLineTrailer, e.Line.ToString(CultureInfo.InvariantCulture) } });
        }
        catch (ConfigValidationException e)
        {
            throw Refuse(context, StatusCode.InvalidArgument, e.Message, new Metadata { { ControlErrors.KindTrailer, ControlErrors.InvalidTable } });
        }
        catch (RuleParseException e)
        {
            throw Refuse(context, StatusCode.FailedPrecondition, $"the rules file is not valid ({e.ToLocatedString()}); fix it, then retry", []);
        }
        catch (IOException e)
        {
            throw Refuse(context, StatusCode.Unavailable, $"the rules file could not be written: {e.Message}", []);
        }
    }

    private RpcException Refuse(ServerCallContext context, StatusCode code, string detail, Metadata trailers)
    {
        Log.Refused(logger, context.Method, code, detail);
        return new RpcException(new Status(code, detail), trailers);
    }

    private readonly record struct ConnectionKey(ServiceProtocol Protocol, NetworkAddress Client, ushort ClientPort, NetworkAddress Virtual, ushort VirtualPort, NetworkAddress Destination, ushort DestinationPort)
    {
        public static ConnectionKey Of(ConnectionInfo c) => new(c.Protocol, c.ClientAddress, c.ClientPort, c.VirtualAddress, c.VirtualPort, c.DestinationAddress, c.DestinationPort);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1020, Level = LogLevel.Information, Message = "Control {Method}: applied, generation {Generation}")]
        public static partial void Changed(ILogger logger, string method, ulong generation);

        [LoggerMessage(EventId = 1021, Level = LogLevel.Warning, Message = "Control {Method} refused ({Code}): {Detail}")]
        public static partial void Refused(ILogger logger, string method, StatusCode code, string detail);
    }
}
