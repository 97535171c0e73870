using System.Net;
using System.Text.Json;
using LoadBalancing.Consul.Model;
using LoadBalancing.Consul.Tests.Fakes;

namespace LoadBalancing.Consul.Tests.Internal;

/// <summary>Agent endpoints: every request is checked against the documented shapes in Fixtures/.</summary>
public sealed class ConsulClientAgentTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task RegisterServiceAsync_DocumentedSample_SendsFixtureBodyWithReplaceExistingChecks()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Empty());
        using var client = server.CreateClient(token: "s3cr3t");

        // The values of register-service-request.json, built through the public model.
        var registration = new ServiceRegistration
        {
            Id = "redis1",
            Name = "redis",
            Tags = ["primary", "v1"],
            Address = "127.0.0.1",
            Port = 8000,
            Meta = new Dictionary<string, string> { ["redis_version"] = "4.0" },
            EnableTagOverride = false,
            Check = new CheckDefinition
            {
                DeregisterCriticalServiceAfter = TimeSpan.FromMinutes(90),
                Args = ["/usr/local/bin/check_redis.py"],
                Interval = TimeSpan.FromSeconds(10),
                Timeout = TimeSpan.FromSeconds(5),
            },
            Weights = new ServiceWeights { Passing = 10, Warning = 1 },
        };
        await client.RegisterServiceAsync(registration, cancellationToken: Ct);

        var request = Assert.Single(server.Requests);
        Assert.Equal("PUT", request.Method);
        Assert.Equal("/v1/agent/service/register", request.Path);

        // The page's sample request: ...register?replace-existing-checks=true
        Assert.Equal("true", request.QueryValue("replace-existing-checks"));
        Assert.Equal("application/json", request.Header("Content-Type"));
        Assert.Equal("s3cr3t", request.Header("X-Consul-Token"));
        Assert.DoesNotContain("s3cr3t", request.RawUrl, StringComparison.Ordinal);
        JsonAssert.Equal(Fixture.Read("register-service-request.json"), request.BodyText);
    }

    [Fact]
    public async Task RegisterServiceAsync_WithoutReplace_SendsNoQueryAndNoToken()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Empty());
        using var client = server.CreateClient();

        await client.RegisterServiceAsync(new ServiceRegistration { Name = "web" }, replaceExistingChecks: false, Ct);

        var request = Assert.Single(server.Requests);
        Assert.Empty(request.Query);
        Assert.Null(request.Header("X-Consul-Token"));
        JsonAssert.Equal("""{"Name":"web"}""", request.BodyText);
    }

    [Fact]
    public void CheckDefinition_EveryDocumentedField_SerializesUnderTheDocumentedName()
    {
        // register-check-request.json is a field-name contract (it mixes check types). "ID" and "Namespace" belong to
        // the standalone /agent/check/register body (enterprise for Namespace); inside a service it is "CheckID".
        var fixture = JsonDocument.Parse(Fixture.Read("register-check-request.json")).RootElement;
        var check = new CheckDefinition
        {
            Name = "Memory utilization",
            Notes = "Ensure we don't oversubscribe memory",
            DeregisterCriticalServiceAfter = TimeSpan.FromMinutes(90),
            Args = ["/usr/local/bin/check_mem.py"],
            DockerContainerId = "f972c95ebf0e",
            Shell = "/bin/bash",
            Http = "https://example.com",
            Method = "POST",
            Header = new Dictionary<string, IReadOnlyList<string>> { ["Content-Type"] = ["application/json"] },
            Body = """{"check":"mem"}""",
            DisableRedirects = true,
            Tcp = "example.com:22",
            Interval = TimeSpan.FromSeconds(10),
            Timeout = TimeSpan.FromSeconds(5),
            TlsSkipVerify = true,
        };
        var json = JsonSerializer.Serialize(new ServiceRegistration { Name = "x", Check = check }, Consul.Internal.ConsulJsonContext.Default.ServiceRegistration);
        var actual = JsonDocument.Parse(json).RootElement.GetProperty("Check");

        var expected = new Dictionary<string, JsonElement>();
        foreach (var property in fixture.EnumerateObject().Where(p => p.Name is not "ID" and not "Namespace"))
        {
            expected[property.Name] = property.Value;
        }

        JsonAssert.Equal(JsonSerializer.Serialize(expected), actual.GetRawText());
    }

    [Fact]
    public void CheckDefinition_HttpTcpGrpcTtl_UseConsulFieldNames()
    {
        var checks = new ServiceRegistration
        {
            Name = "web",
            Checks =
            [
                new CheckDefinition { CheckId = "web:http", Http = "http://10.0.0.5/health", Interval = TimeSpan.FromSeconds(5), Timeout = TimeSpan.FromMilliseconds(1500), SuccessBeforePassing = 2, FailuresBeforeCritical = 3 },
                new CheckDefinition { CheckId = "web:tcp", Tcp = "10.0.0.5:80", TcpUseTls = false, Interval = TimeSpan.FromSeconds(10) },
                new CheckDefinition { CheckId = "web:grpc", Grpc = "10.0.0.5:9000/health", GrpcUseTls = true, TlsServerName = "web", Interval = TimeSpan.FromSeconds(10) },
                new CheckDefinition { CheckId = "web:ttl", Ttl = TimeSpan.FromSeconds(30), Status = "passing", DeregisterCriticalServiceAfter = TimeSpan.FromHours(1), FailuresBeforeWarning = 1 },
            ],
        };

        var json = JsonSerializer.Serialize(checks, Consul.Internal.ConsulJsonContext.Default.ServiceRegistration);

        // Names and duration strings as in Consul's check definition reference (Go field names, Go durations).
        JsonAssert.Equal("""
            {"Name":"web","Checks":[
              {"CheckID":"web:http","HTTP":"http://10.0.0.5/health","Interval":"5s","Timeout":"1500ms","SuccessBeforePassing":2,"FailuresBeforeCritical":3},
              {"CheckID":"web:tcp","TCP":"10.0.0.5:80","TCPUseTLS":false,"Interval":"10s"},
              {"CheckID":"web:grpc","GRPC":"10.0.0.5:9000/health","GRPCUseTLS":true,"TLSServerName":"web","Interval":"10s"},
              {"CheckID":"web:ttl","TTL":"30s","Status":"passing","DeregisterCriticalServiceAfter":"1h","FailuresBeforeWarning":1}
            ]}
            """, json);
    }

    [Fact]
    public async Task DeregisterServiceAsync_Ok_SendsPutToEscapedIdAndReturnsTrue()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Empty());
        using var client = server.CreateClient();

        Assert.True(await client.DeregisterServiceAsync("lb web:10.0.0.5", Ct));

        var request = Assert.Single(server.Requests);
        Assert.Equal("PUT", request.Method);
        Assert.Equal("/v1/agent/service/deregister/lb%20web%3A10.0.0.5", request.Path);
        Assert.Empty(request.Body);
    }

    [Fact]
    public async Task DeregisterServiceAsync_UnknownService404_ReturnsFalse()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Error(404, "Unknown service ID \"web1\". Ensure that the service ID is passed, not the service name."));
        using var client = server.CreateClient();

        Assert.False(await client.DeregisterServiceAsync("web1", Ct));
    }

    [Fact]
    public async Task SetServiceMaintenanceAsync_EnableWithReason_SendsEnableAndEncodedReason()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Empty(), ScriptedResponse.Empty());
        using var client = server.CreateClient();

        await client.SetServiceMaintenanceAsync("web1", true, "drain for kernel update & reboot", Ct);
        await client.SetServiceMaintenanceAsync("web1", false, cancellationToken: Ct);

        var enable = server.Requests[0];
        Assert.Equal("PUT", enable.Method);
        Assert.Equal("/v1/agent/service/maintenance/web1", enable.Path);
        Assert.Equal("true", enable.QueryValue("enable"));
        Assert.Equal("drain for kernel update & reboot", enable.QueryValue("reason"));
        Assert.Contains("reason=drain%20for%20kernel%20update%20%26%20reboot", enable.RawUrl, StringComparison.Ordinal);
        var disable = server.Requests[1];
        Assert.Equal("false", disable.QueryValue("enable"));
        Assert.False(disable.HasQuery("reason"));
    }

    [Theory]
    [InlineData(HealthStatus.Passing, "pass")]
    [InlineData(HealthStatus.Warning, "warn")]
    [InlineData(HealthStatus.Critical, "fail")]
    public async Task ReportTtlAsync_Status_SendsPutToVerbEndpointWithNote(HealthStatus status, string verb)
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Empty());
        using var client = server.CreateClient();

        await client.ReportTtlAsync("web1:ttl", status, "all good", Ct);

        var request = Assert.Single(server.Requests);
        Assert.Equal("PUT", request.Method);
        Assert.Equal($"/v1/agent/check/{verb}/web1%3Attl", request.Path);
        Assert.Equal("all good", request.QueryValue("note"));
    }

    [Fact]
    public async Task ReportTtlAsync_Maintenance_Throws()
    {
        await using var server = new ConsulTestServer();
        using var client = server.CreateClient();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.ReportTtlAsync("c", HealthStatus.Maintenance, cancellationToken: Ct));
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task UpdateTtlAsync_DocumentedSample_SendsFixtureBody()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Empty());
        using var client = server.CreateClient();

        // check-update-request.json: Output decodes to "curl reported a failure:" + two newlines + "...".
        await client.UpdateTtlAsync("service:redis", HealthStatus.Passing, "curl reported a failure:\n\n...", Ct);

        var request = Assert.Single(server.Requests);
        Assert.Equal("PUT", request.Method);
        Assert.Equal("/v1/agent/check/update/service%3Aredis", request.Path);
        Assert.Equal("application/json", request.Header("Content-Type"));
        JsonAssert.Equal(Fixture.Read("check-update-request.json"), request.BodyText);
    }

    [Fact]
    public async Task UpdateTtlAsync_UnknownCheck_ThrowsConsulExceptionWithStatusAndBody()
    {
        const string Body = "Unknown check ID \"web1:ttl\". Ensure that the check ID is passed, not the check name.";
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Error(404, Body));
        using var client = server.CreateClient();

        var e = await Assert.ThrowsAsync<ConsulException>(() => client.UpdateTtlAsync("web1:ttl", HealthStatus.Passing, cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        Assert.Equal(Body, e.ResponseBody);
        Assert.Contains(Body, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportTtlAsync_NotATtlCheck500_ThrowsConsulException()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.Error(500, "CheckID \"web1:ttl\" does not have associated TTL"));
        using var client = server.CreateClient();

        var e = await Assert.ThrowsAsync<ConsulException>(() => client.ReportTtlAsync("web1:ttl", HealthStatus.Passing, cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.InternalServerError, e.StatusCode);
        Assert.EndsWith("does not have associated TTL", e.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAgentServicesAsync_DocumentedSample_ParsesLowerCaseTaggedAddressesAndWeights()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.FixtureJson("agent-services-response.json"));
        using var client = server.CreateClient();

        var services = await client.GetAgentServicesAsync(Ct);

        var request = Assert.Single(server.Requests);
        Assert.Equal(("GET", "/v1/agent/services"), (request.Method, request.Path));
        var redis = Assert.Single(services).Value;
        Assert.Equal("redis", services.Keys.Single());
        Assert.Equal(("redis", "redis", 8000, ""), (redis.Id, redis.Service, redis.Port, redis.Address));
        Assert.Empty(redis.Tags!);
        Assert.Equal("4.0", redis.Meta!["redis_version"]);
        Assert.Equal("dc1", redis.Datacenter);
        Assert.False(redis.EnableTagOverride);
        Assert.Equal(new ServiceWeights { Passing = 10, Warning = 1 }, redis.Weights);

        // The sample writes "address"/"port" in lower case; Consul decodes case-insensitively and so do we.
        Assert.Equal(new ServiceAddress { Address = "127.0.0.1", Port = 8000 }, redis.TaggedAddresses!["lan"]);
        Assert.Equal(new ServiceAddress { Address = "198.51.100.53", Port = 80 }, redis.TaggedAddresses["wan"]);
    }

    [Fact]
    public async Task GetAgentChecksAsync_DocumentedSample_ParsesCheck()
    {
        await using var server = new ConsulTestServer();
        server.Enqueue(ScriptedResponse.FixtureJson("agent-checks-response.json"));
        using var client = server.CreateClient();

        var checks = await client.GetAgentChecksAsync(Ct);

        Assert.Equal("/v1/agent/checks", Assert.Single(server.Requests).Path);
        var check = checks["service:redis"];
        Assert.Equal(("foobar", "service:redis", "Service 'redis' check", "passing"), (check.Node, check.CheckId, check.Name, check.Status));
        Assert.Equal(("redis", "redis"), (check.ServiceId, check.ServiceName));
        Assert.Equal(["primary"], check.ServiceTags!);
        Assert.Equal(HealthStatus.Passing, check.GetStatus());
    }
}
