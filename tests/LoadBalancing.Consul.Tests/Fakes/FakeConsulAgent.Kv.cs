// JSON property names below are Consul's wire names, not references to members of this class.
#pragma warning disable CA1507

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoadBalancing.Consul.Tests.Fakes;

internal sealed partial class FakeConsulAgent
{
    private readonly Dictionary<string, SessionState> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KvState> _kv = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _lockDelays = new(StringComparer.Ordinal);

    /// <summary>The live sessions by ID.</summary>
    public IReadOnlyCollection<string> SessionIds
    {
        get
        {
            lock (_gate)
            {
                return [.. _sessions.Keys];
            }
        }
    }

    /// <summary>A key's current state, or null.</summary>
    public KvState? Key(string key)
    {
        lock (_gate)
        {
            return _kv.TryGetValue(key, out var kv) ? kv with { } : null;
        }
    }

    /// <summary>Invalidates a session as Consul does when its TTL passes or a health check fails.</summary>
    public void InvalidateSession(string id)
    {
        lock (_gate)
        {
            InvalidateLocked(id, Time.GetUtcNow());
            SignalLocked();
        }
    }

    /// <summary>Another client writes the key (e.g. takes the released lock with its own session).</summary>
    public void WriteKeyDirect(string key, byte[] value, string? session)
    {
        lock (_gate)
        {
            var index = NextIndexLocked();
            var existing = _kv.GetValueOrDefault(key);
            _kv[key] = new KvState
            {
                Key = key, Value = value, Session = session, Flags = existing?.Flags ?? 0,
                LockIndex = (existing?.LockIndex ?? 0) + (session is not null && existing?.Session != session ? 1UL : 0UL),
                CreateIndex = existing?.CreateIndex ?? index, ModifyIndex = index,
            };
            Touch("kv:" + key, index);
            SignalLocked();
        }
    }

    private Reply CreateSession(RecordedRequest r)
    {
        JsonElement body;
        try
        {
            body = r.Body.Length == 0 ? JsonDocument.Parse("{}").RootElement.Clone() : JsonDocument.Parse(r.Body).RootElement.Clone();
        }
        catch (JsonException e)
        {
            return new Reply(400, "Request decode failed: " + e.Message);
        }

        var ttl = Duration(body, "TTL");
        if (ttl is { } t && (t < TimeSpan.FromSeconds(10) || t > TimeSpan.FromSeconds(86400)))
        {
            return new Reply(400, $"Invalid Session TTL '{t.TotalSeconds}s', must be between [10s=24h0m0s]");
        }

        var lockDelay = Prop(body, "LockDelay") switch
        {
            { ValueKind: JsonValueKind.String } => Duration(body, "LockDelay")!.Value,
            { ValueKind: JsonValueKind.Number } n => n.GetInt64() < 1000 ? TimeSpan.FromSeconds(n.GetInt64()) : TimeSpan.FromTicks(n.GetInt64() / 100),
            _ => TimeSpan.FromSeconds(15),
        };
        lock (_gate)
        {
            var index = NextIndexLocked();
            var id = Guid.NewGuid().ToString();
            _sessions[id] = new SessionState
            {
                Id = id, Name = Str(body, "Name") ?? "", Node = Str(body, "Node") ?? NodeName, Behavior = Str(body, "Behavior") ?? "release",
                Ttl = ttl, LockDelay = lockDelay, RenewedAt = Time.GetUtcNow(), CreateIndex = index, ModifyIndex = index,
            };
            return Reply.Json(new JsonObject { ["ID"] = id });
        }
    }

    private Reply RenewSession(string id)
    {
        lock (_gate)
        {
            if (!_sessions.TryGetValue(id, out var session))
            {
                return new Reply(404, $"Session id '{id}' not found");
            }

            session.RenewedAt = Time.GetUtcNow();
            session.Renewals++;
            return Reply.Json(new JsonArray(SessionJson(session)));
        }
    }

    private Reply DestroySession(string id)
    {
        lock (_gate)
        {
            InvalidateLocked(id, Time.GetUtcNow());
            SignalLocked();
            return new Reply(200, "true", "application/json");
        }
    }

    private Reply SessionInfo(string id)
    {
        var result = new JsonArray();
        if (_sessions.TryGetValue(id, out var session))
        {
            result.Add(SessionJson(session));
        }

        return Reply.Json(result);
    }

    private Reply GetKey(string key)
    {
        if (!_kv.TryGetValue(key, out var kv))
        {
            return new Reply(404);
        }

        var entry = new JsonObject
        {
            ["LockIndex"] = kv.LockIndex,
            ["Key"] = kv.Key,
            ["Flags"] = kv.Flags,
            ["Value"] = kv.Value.Length == 0 ? null : Convert.ToBase64String(kv.Value),
        };
        if (kv.Session is not null)
        {
            entry["Session"] = kv.Session;
        }

        entry["CreateIndex"] = kv.CreateIndex;
        entry["ModifyIndex"] = kv.ModifyIndex;
        return Reply.Json(new JsonArray(entry));
    }

    private Reply PutKey(string key, RecordedRequest r)
    {
        lock (_gate)
        {
            var now = Time.GetUtcNow();
            var existing = _kv.GetValueOrDefault(key);
            var flags = r.HasQuery("flags") ? ulong.Parse(r.QueryValue("flags")!, CultureInfo.InvariantCulture) : existing?.Flags ?? 0;
            string? session = existing?.Session;
            var lockIndex = existing?.LockIndex ?? 0;
            if (r.HasQuery("acquire"))
            {
                var id = r.QueryValue("acquire")!;
                if (!_sessions.ContainsKey(id))
                {
                    return new Reply(500, $"invalid session \"{id}\"");
                }

                if (existing?.Session is { } holder && holder != id)
                {
                    return new Reply(200, "false", "application/json");
                }

                if (existing?.Session != id && _lockDelays.TryGetValue(key, out var until) && now < until)
                {
                    return new Reply(200, "false", "application/json");
                }

                if (existing?.Session != id)
                {
                    lockIndex++;
                }

                session = id;
            }
            else if (r.HasQuery("release"))
            {
                if (existing?.Session != r.QueryValue("release"))
                {
                    return new Reply(200, "false", "application/json");
                }

                session = null;
            }
            else if (r.HasQuery("cas"))
            {
                var cas = ulong.Parse(r.QueryValue("cas")!, CultureInfo.InvariantCulture);
                if ((cas == 0 && existing is not null) || (cas != 0 && existing?.ModifyIndex != cas))
                {
                    return new Reply(200, "false", "application/json");
                }
            }

            var index = NextIndexLocked();
            _kv[key] = new KvState
            {
                Key = key,
                Value = r.HasQuery("release") ? existing?.Value ?? [] : r.Body,
                Flags = flags,
                Session = session,
                LockIndex = lockIndex,
                CreateIndex = existing?.CreateIndex ?? index,
                ModifyIndex = index,
            };
            Touch("kv:" + key, index);
            SignalLocked();
            return new Reply(200, "true", "application/json");
        }
    }

    private bool ExpireSessionsLocked(DateTimeOffset now)
    {
        var expired = _sessions.Values.Where(s => s.Ttl is { } ttl && now - s.RenewedAt >= ttl).Select(s => s.Id).ToList();
        foreach (var id in expired)
        {
            InvalidateLocked(id, now);
        }

        return expired.Count > 0;
    }

    private void InvalidateLocked(string id, DateTimeOffset now)
    {
        if (!_sessions.Remove(id, out var session))
        {
            return;
        }

        foreach (var kv in _kv.Values.Where(k => k.Session == id).ToList())
        {
            var index = NextIndexLocked();
            if (session.Behavior == "delete")
            {
                _kv.Remove(kv.Key);
            }
            else
            {
                _kv[kv.Key] = kv with { Session = null, ModifyIndex = index };
            }

            if (session.LockDelay > TimeSpan.Zero)
            {
                _lockDelays[kv.Key] = now + session.LockDelay;
            }

            Touch("kv:" + kv.Key, index);
        }
    }

    private static JsonObject SessionJson(SessionState s) => new()
    {
        ["ID"] = s.Id,
        ["Name"] = s.Name,
        ["Node"] = s.Node,
        ["LockDelay"] = s.LockDelay.Ticks * 100,
        ["Behavior"] = s.Behavior,
        ["TTL"] = s.Ttl is { } ttl ? $"{(long)ttl.TotalSeconds}s" : "",
        ["NodeChecks"] = new JsonArray("serfHealth"),
        ["ServiceChecks"] = null,
        ["CreateIndex"] = s.CreateIndex,
        ["ModifyIndex"] = s.ModifyIndex,
    };

    /// <summary>A session.</summary>
    internal sealed class SessionState
    {
        public required string Id { get; init; }

        public string Name { get; init; } = "";

        public string Node { get; init; } = "";

        public string Behavior { get; init; } = "release";

        public TimeSpan? Ttl { get; init; }

        public TimeSpan LockDelay { get; init; }

        public DateTimeOffset RenewedAt { get; set; }

        public int Renewals { get; set; }

        public ulong CreateIndex { get; init; }

        public ulong ModifyIndex { get; init; }
    }

    /// <summary>A KV entry.</summary>
    internal sealed record KvState
    {
        public required string Key { get; init; }

        public byte[] Value { get; init; } = [];

        public ulong Flags { get; init; }

        public string? Session { get; init; }

        public ulong LockIndex { get; init; }

        public ulong CreateIndex { get; init; }

        public ulong ModifyIndex { get; init; }
    }
}
