using System.Text.Json;
using LoadBalancing.Consul.Internal;
using LoadBalancing.Consul.Model;
using LoadBalancing.Consul.Tests.Fakes;

namespace LoadBalancing.Consul.Tests.Model;

public sealed class ServiceEntryTests
{
    private static ServiceEntry Entry(params (string Id, string Status)[] checks) => new()
    {
        Node = new CatalogNode { Node = "n1", Address = "10.0.0.9" },
        Service = new AgentService { Id = "web1", Service = "web", Weights = new ServiceWeights { Passing = 7, Warning = 2 } },
        Checks = [.. checks.Select(c => new HealthCheck { CheckId = c.Id, Status = c.Status })],
    };

    [Theory]
    [InlineData(HealthStatus.Passing, 7)]
    [InlineData(HealthStatus.Warning, 2)]
    [InlineData(HealthStatus.Critical, 0)]
    public void EffectiveWeight_ByWorstCheck_MapsToWeights(HealthStatus worst, int weight)
    {
        var status = worst switch { HealthStatus.Passing => "passing", HealthStatus.Warning => "warning", _ => "critical" };
        var entry = Entry(("serfHealth", "passing"), ("web1:http", status));

        Assert.Equal(worst, entry.AggregateStatus());
        Assert.Equal(weight, entry.EffectiveWeight());
    }

    [Fact]
    public void AggregateStatus_NodeCheckCritical_MakesInstanceCritical()
        => Assert.Equal(HealthStatus.Critical, Entry(("serfHealth", "critical"), ("web1:http", "passing")).AggregateStatus());

    [Theory]
    [InlineData("_node_maintenance")]
    [InlineData("_service_maintenance:web1")]
    public void AggregateStatus_MaintenanceCheck_RanksAboveCritical(string checkId)
    {
        var entry = Entry(("web1:http", "critical"), (checkId, "critical"));

        Assert.Equal(HealthStatus.Maintenance, entry.AggregateStatus());
        Assert.Equal(0, entry.EffectiveWeight());
    }

    [Fact]
    public void AggregateStatus_UnknownStatus_CountsAsCritical()
        => Assert.Equal(HealthStatus.Critical, Entry(("web1:http", "bogus")).AggregateStatus());

    [Fact]
    public void EffectiveWeight_NoWeightsNoChecks_IsOneAndAddressFallsBackToNode()
    {
        var entry = new ServiceEntry { Node = new CatalogNode { Address = "10.0.0.9" }, Service = new AgentService { Address = "" } };

        Assert.Equal(1, entry.EffectiveWeight());
        Assert.Equal("10.0.0.9", entry.EffectiveAddress);
    }

    [Fact]
    public void Deserialize_AgentHealthByNameSample_AggregatesLikeTheDocumentedAggregatedStatus()
    {
        // agent-health-service-by-name-response.json carries Consul's own AggregatedStatus per instance; our
        // aggregation over the same Checks must agree with it.
        using var doc = JsonDocument.Parse(Fixture.Read("agent-health-service-by-name-response.json"));
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            var entry = new ServiceEntry
            {
                Service = item.GetProperty("Service").Deserialize(ConsulJsonContext.Default.AgentService)!,
                Checks = item.GetProperty("Checks").Deserialize(ConsulJsonContext.Default.ListHealthCheck)!,
            };
            var expected = item.GetProperty("AggregatedStatus").GetString();

            Assert.Equal(expected, entry.AggregateStatus().ToString().ToLowerInvariant());
            Assert.Equal("web", entry.Service.Service);
        }
    }

    [Fact]
    public void Deserialize_AgentHealthByIdCriticalSample_ParsesCheckOutput()
    {
        using var doc = JsonDocument.Parse(Fixture.Read("agent-health-service-by-id-critical-response.json"));
        var checks = doc.RootElement.GetProperty("Checks").Deserialize(ConsulJsonContext.Default.ListHealthCheck)!;

        var check = Assert.Single(checks);
        Assert.Equal("Get \"http://localhost/health\": dial tcp [::1]:80: connect: connection refused", check.Output);
        Assert.Equal(HealthStatus.Critical, check.GetStatus());
        Assert.Equal("", check.Type);
    }
}
