namespace LoadBalancing.Consul.Tests.Fakes;

/// <summary>A response the test server replays.</summary>
internal sealed record ScriptedResponse(int Status, string Body = "", string ContentType = "application/json")
{
    public List<KeyValuePair<string, string>> Headers { get; init; } = [];

    public static ScriptedResponse Json(string body, ulong? index = null) => new(200, body) { Headers = IndexHeader(index) };

    public static ScriptedResponse FixtureJson(string fixture, ulong? index = null) => Json(Fixture.Read(fixture), index);

    /// <summary>An agent write's success: 200 with an empty body.</summary>
    public static ScriptedResponse Empty() => new(200, "", "text/plain; charset=utf-8");

    /// <summary>Consul's errors are plain text.</summary>
    public static ScriptedResponse Error(int status, string text, ulong? index = null) => new(status, text, "text/plain; charset=utf-8") { Headers = IndexHeader(index) };

    private static List<KeyValuePair<string, string>> IndexHeader(ulong? index)
        => index is { } i ? [new("X-Consul-Index", i.ToString(System.Globalization.CultureInfo.InvariantCulture))] : [];
}
