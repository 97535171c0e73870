// JSON property names below are Consul's wire names, not references to members of this class.
#pragma warning disable CA1507

using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoadBalancing.Consul.Tests.Fakes;

/// <summary>
/// A stateful stand-in for a Consul dev agent on 127.0.0.1: agent service registration with TTL, HTTP, TCP and gRPC
/// checks (only TTL checks change by themselves; the others are set by the test), maintenance, the health and catalog
/// endpoints with real blocking queries (per-service indexes, <c>wait</c>), sessions and KV locks. Bodies follow the
/// documented shapes of the fixtures (same field names and casing; see Fixtures/*.json). Time (TTL expiry, reaping,
/// session TTLs, lock-delay) runs on the given <see cref="TimeProvider"/>, evaluated on every request and on a timer.
/// The test can simulate an agent restart (<see cref="Restart"/>: every registration forgotten, indexes reset) and
/// outages (<see cref="Mode"/>).
/// </summary>
internal sealed partial class FakeConsulAgent : IAsyncDisposable
{
    private static readonly TimeSpan SafetyWait = TimeSpan.FromSeconds(30);

    private readonly LoopbackHttpListener _listener;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ulong> _indexes = new(StringComparer.Ordinal);
    private readonly List<RecordedRequest> _requests = [];
    private readonly ITimer _ticker;
    private readonly CancellationTokenSource _disposed = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ulong _index = 10;

    /// <summary>Starts the agent on a free 127.0.0.1 port.</summary>
    /// <param name="time">The agent's clock (TTLs, reaping, sessions); default system.</param>
    /// <param name="nodeName">The node the agent runs on.</param>
    /// <param name="nodeAddress">That node's address.</param>
    /// <param name="accept">How the accept loop awaits a request (see <see cref="LoopbackHttpListener"/>); tests of the fake replace it.</param>
    public FakeConsulAgent(TimeProvider? time = null, string nodeName = "node1", string nodeAddress = "127.0.0.1", Func<HttpListener, Task<HttpListenerContext>>? accept = null)
    {
        Time = time ?? TimeProvider.System;
        NodeName = nodeName;
        NodeAddress = nodeAddress;

        // Each request is handled on its own task: blocking queries must not hold up the others.
        _listener = new LoopbackHttpListener(context =>
        {
            _ = Task.Run(() => HandleAsync(context));
            return Task.CompletedTask;
        }, accept);
        _ticker = Time.CreateTimer(_ => Tick(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
    }

    /// <summary>How the agent answers.</summary>
    public enum AgentMode
    {
        /// <summary>Normally.</summary>
        Up,

        /// <summary>Every request gets 500 <c>No cluster leader</c>.</summary>
        NoLeader,

        /// <summary>Every connection is aborted without an answer (as if the agent died mid-request).</summary>
        Unreachable,
    }

    public TimeProvider Time { get; }

    public string NodeName { get; }

    public string NodeAddress { get; }

    public int Port => _listener.Port;

    public Uri Address => _listener.Address;

    public AgentMode Mode { get; set; } = AgentMode.Up;

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public ConsulClientOptions ClientOptions(TimeSpan? wait = null) => new() { Address = Address, DefaultWait = wait ?? TimeSpan.FromSeconds(10) };

    /// <summary>Forgets every service, check, session and key and resets the indexes, as a restarted <c>-dev</c> agent does.</summary>
    public void Restart()
    {
        lock (_gate)
        {
            _services.Clear();
            _checks.Clear();
            _sessions.Clear();
            _kv.Clear();
            _indexes.Clear();
            _index = 1;
            SignalLocked();
        }
    }

    /// <summary>Registers an instance directly (another node's agent did it).</summary>
    public void AddInstance(string node, string id, string name, string address, int port, IEnumerable<string>? tags = null, IDictionary<string, string>? meta = null, (int Passing, int Warning)? weights = null, string status = "passing")
    {
        lock (_gate)
        {
            var index = NextIndexLocked();
            _services[id] = new ServiceState
            {
                Node = node, Id = id, Name = name, Address = address, Port = port, Tags = [.. tags ?? []],
                Meta = new Dictionary<string, string>(meta ?? new Dictionary<string, string>()),
                PassingWeight = weights?.Passing ?? 1, WarningWeight = weights?.Warning ?? 1, CreateIndex = index, ModifyIndex = index,
            };
            _checks["service:" + id] = new CheckState { Id = "service:" + id, Name = $"Service '{name}' check", ServiceId = id, Node = node, Status = status, Type = "tcp", ModifyIndex = index, CreateIndex = index, CriticalSince = status == "critical" ? Time.GetUtcNow() : null };
            TouchService(name, index);
            Touch("catalog", index);
            SignalLocked();
        }
    }

    /// <summary>Sets a check's status (what Consul's own probe would have found).</summary>
    public void SetCheckStatus(string checkId, string status)
    {
        lock (_gate)
        {
            var check = _checks[checkId];
            SetStatusLocked(check, status, check.Output);
            SignalLocked();
        }
    }

    /// <summary>Removes an instance as its agent would on deregistration.</summary>
    public bool RemoveInstance(string id)
    {
        lock (_gate)
        {
            var removed = DeregisterLocked(id);
            SignalLocked();
            return removed;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        await _ticker.DisposeAsync();
        await _listener.DisposeAsync();
        _disposed.Dispose();
    }

    /// <summary>Evaluates TTLs, the critical-service reaper and session TTLs at the current time.</summary>
    public void Tick()
    {
        lock (_gate)
        {
            var now = Time.GetUtcNow();
            var changed = false;
            foreach (var check in _checks.Values.ToList())
            {
                if (check.Ttl is not null && check.TtlDeadline is { } deadline && now >= deadline && check.Status != "critical")
                {
                    SetStatusLocked(check, "critical", $"TTL expired (last checkin {check.LastCheckin:O})");
                    changed = true;
                }
            }

            foreach (var service in _services.Values.ToList())
            {
                var reap = _checks.Values.Any(c => c.ServiceId == service.Id && c.DeregisterCriticalServiceAfter is { } after && c.CriticalSince is { } since && now - since >= after);
                if (reap)
                {
                    DeregisterLocked(service.Id);
                    changed = true;
                }
            }

            changed |= ExpireSessionsLocked(now);
            if (changed)
            {
                SignalLocked();
            }
        }
    }

    private ulong NextIndexLocked() => ++_index;

    private void Touch(string key, ulong index) => _indexes[key] = index;

    private void TouchService(string name, ulong index) => Touch("health:" + name, index);

    private ulong IndexOf(string key) => Math.Max(1, _indexes.GetValueOrDefault(key));

    private void SignalLocked()
    {
        var old = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            var request = await RecordedRequest.ReadAsync(context.Request);
            lock (_gate)
            {
                _requests.Add(request);
            }

            switch (Mode)
            {
                case AgentMode.Unreachable:
                    Cut(context);
                    return;
                case AgentMode.NoLeader:
                    Write(context, new Reply(500, "No cluster leader"));
                    return;
            }

            Tick();
            var reply = await DispatchAsync(request);
            Write(context, reply);
        }
#pragma warning disable CA1031 // A broken connection of a fake must not crash the test host.
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException or InvalidOperationException or OperationCanceledException)
#pragma warning restore CA1031
        {
        }
    }

    private async Task<Reply> DispatchAsync(RecordedRequest r)
    {
        var path = r.Path;
        string Rest(string prefix) => Uri.UnescapeDataString(path[prefix.Length..]);
        return (r.Method, path) switch
        {
            ("PUT", "/v1/agent/service/register") => RegisterService(r),
            ("PUT", _) when path.StartsWith("/v1/agent/service/deregister/", StringComparison.Ordinal) => DeregisterService(Rest("/v1/agent/service/deregister/")),
            ("PUT", _) when path.StartsWith("/v1/agent/service/maintenance/", StringComparison.Ordinal) => Maintenance(Rest("/v1/agent/service/maintenance/"), r),
            ("PUT", _) when path.StartsWith("/v1/agent/check/pass/", StringComparison.Ordinal) => UpdateTtl(Rest("/v1/agent/check/pass/"), "passing", r.HasQuery("note") ? r.QueryValue("note") : null),
            ("PUT", _) when path.StartsWith("/v1/agent/check/warn/", StringComparison.Ordinal) => UpdateTtl(Rest("/v1/agent/check/warn/"), "warning", r.HasQuery("note") ? r.QueryValue("note") : null),
            ("PUT", _) when path.StartsWith("/v1/agent/check/fail/", StringComparison.Ordinal) => UpdateTtl(Rest("/v1/agent/check/fail/"), "critical", r.HasQuery("note") ? r.QueryValue("note") : null),
            ("PUT", _) when path.StartsWith("/v1/agent/check/update/", StringComparison.Ordinal) => UpdateTtlBody(Rest("/v1/agent/check/update/"), r),
            ("GET", "/v1/agent/services") => AgentServices(),
            ("GET", "/v1/agent/checks") => AgentChecks(),
            ("GET", "/v1/status/leader") => new Reply(200, "\"127.0.0.1:8300\"", "application/json"),
            ("GET", "/v1/catalog/services") => await BlockingAsync(r, "catalog", CatalogServices),
            ("GET", _) when path.StartsWith("/v1/health/service/", StringComparison.Ordinal) => await BlockingAsync(r, "health:" + Rest("/v1/health/service/"), () => HealthService(Rest("/v1/health/service/"), r.HasQuery("passing"))),
            ("PUT", "/v1/session/create") => CreateSession(r),
            ("PUT", _) when path.StartsWith("/v1/session/renew/", StringComparison.Ordinal) => RenewSession(Rest("/v1/session/renew/")),
            ("PUT", _) when path.StartsWith("/v1/session/destroy/", StringComparison.Ordinal) => DestroySession(Rest("/v1/session/destroy/")),
            ("GET", _) when path.StartsWith("/v1/session/info/", StringComparison.Ordinal) => SessionInfo(Rest("/v1/session/info/")),
            ("GET", _) when path.StartsWith("/v1/kv/", StringComparison.Ordinal) => await BlockingAsync(r, "kv:" + Rest("/v1/kv/"), () => GetKey(Rest("/v1/kv/"))),
            ("PUT", _) when path.StartsWith("/v1/kv/", StringComparison.Ordinal) => PutKey(Rest("/v1/kv/"), r),
            _ when path.StartsWith("/v1/", StringComparison.Ordinal) && r.Method is not ("GET" or "PUT") => new Reply(405, $"method {r.Method} not allowed"),
            _ => new Reply(404, "Invalid URL path: not a recognized HTTP API endpoint"),
        };
    }

    /// <summary>A blocking read: with <c>?index=N</c> it waits until the endpoint's index passes N or <c>wait</c> elapses.</summary>
    private async Task<Reply> BlockingAsync(RecordedRequest r, string indexKey, Func<Reply> answer)
    {
        if (r.HasQuery("index"))
        {
            if (!ulong.TryParse(r.QueryValue("index"), NumberStyles.None, CultureInfo.InvariantCulture, out var wanted))
            {
                return new Reply(400, "Invalid index");
            }

            var waitText = r.HasQuery("wait") ? r.QueryValue("wait") : "300s";
            if (waitText is null || !waitText.EndsWith("ms", StringComparison.Ordinal) && !waitText.EndsWith('s') || !double.TryParse(waitText.TrimEnd('m', 's'), NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
            {
                return new Reply(400, "Invalid wait time");
            }

            var wait = waitText.EndsWith("ms", StringComparison.Ordinal) ? TimeSpan.FromMilliseconds(amount) : TimeSpan.FromSeconds(amount);
            if (wait > SafetyWait)
            {
                wait = SafetyWait;
            }

            // Real time on purpose: the fake's wait must not depend on a test advancing a fake clock.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
            deadline.CancelAfter(wait);
            while (true)
            {
                Task changed;
                lock (_gate)
                {
                    if (IndexOf(indexKey) > wanted || IndexOf(indexKey) < wanted || Mode != AgentMode.Up)
                    {
                        break;
                    }

                    changed = _changed.Task;
                }

                try
                {
                    await changed.WaitAsync(deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            switch (Mode)
            {
                case AgentMode.NoLeader:
                    return new Reply(500, "No cluster leader");
                case AgentMode.Unreachable:
                    return Reply.Abort;
            }
        }

        lock (_gate)
        {
            return answer() with { Index = IndexOf(indexKey) };
        }
    }

    private static void Write(HttpListenerContext context, Reply reply)
    {
        if (reply.Aborted)
        {
            Cut(context);
            return;
        }

        var response = context.Response;
        response.StatusCode = reply.Status;
        response.ContentType = reply.ContentType;
        if (reply.Index is { } index)
        {
            response.Headers["X-Consul-Index"] = index.ToString(CultureInfo.InvariantCulture);
            response.Headers["X-Consul-Knownleader"] = "true";
            response.Headers["X-Consul-Lastcontact"] = "0";
        }

        var bytes = Encoding.UTF8.GetBytes(reply.Body);
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
        response.Close();
    }

    /// <summary>
    /// Breaks the connection mid-answer, so the client sees a transport failure (HttpRequestException). A bare
    /// <c>HttpListenerResponse.Abort()</c> before any byte is sent makes the managed listener answer 200 instead.
    /// </summary>
    private static void Cut(HttpListenerContext context)
    {
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentLength64 = 100;
        response.OutputStream.Write(new byte[10]);
        response.OutputStream.Flush();
        response.Abort();
    }

    /// <summary>Consul decodes JSON case-insensitively: find a property whatever its casing.</summary>
    private static JsonElement? Prop(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value.ValueKind == JsonValueKind.Null ? null : property.Value;
            }
        }

        return null;
    }

    private static string? Str(JsonElement element, string name) => Prop(element, name) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    /// <summary>Go durations as Consul accepts them ("10s", "1m30s", "500ms").</summary>
    private static TimeSpan? Duration(JsonElement element, string name)
    {
        if (Str(element, name) is not { Length: > 0 } text)
        {
            return null;
        }

        var total = TimeSpan.Zero;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            var number = double.Parse(text[start..i], CultureInfo.InvariantCulture);
            var unitStart = i;
            while (i < text.Length && !char.IsDigit(text[i]))
            {
                i++;
            }

            total += text[unitStart..i] switch
            {
                "h" => TimeSpan.FromHours(number),
                "m" => TimeSpan.FromMinutes(number),
                "s" => TimeSpan.FromSeconds(number),
                "ms" => TimeSpan.FromMilliseconds(number),
                "us" or "µs" => TimeSpan.FromMicroseconds(number),
                "ns" => TimeSpan.FromTicks((long)(number / 100)),
                var unit => throw new FormatException($"time: unknown unit \"{unit}\" in duration \"{text}\""),
            };
        }

        return total;
    }

    private sealed record Reply(int Status, string Body = "", string ContentType = "text/plain; charset=utf-8")
    {
        public static readonly Reply Abort = new(0) { Aborted = true };

        public ulong? Index { get; init; }

        public bool Aborted { get; init; }

        public static Reply Json(JsonNode node) => new(200, node.ToJsonString(), "application/json");
    }
}
