using System.Net;
using LoadBalancing.Health.Nfs;
using LoadBalancing.Health.Probes;
using LoadBalancing.Health.Tests.Fixtures;

namespace LoadBalancing.Health.Tests.Nfs;

/// <summary>Against a real nfs-ganesha + rpcbind in a network namespace: the probe sees what showmount sees.</summary>
public sealed class GaneshaExportTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetExportsAsync_RealGanesha_EqualsShowmount()
    {
        await using var server = await GaneshaServer.StartAsync();
        var sockets = NetworkNamespace.SocketFactory(server.Netns);

        var (exports, error) = await NfsMountClient.GetExportsAsync(IPAddress.Loopback, 111, 0, Ct, sockets);
        var (code, output) = await server.ExecAsync("/usr/sbin/showmount", "-e", "127.0.0.1");

        Assert.Null(error);
        Assert.Equal(0, code);

        // showmount -e: a header line, then "<path> <group,group…>" with "(everyone)" for an empty group list.
        var expected = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => $"{p[0]} {p[1]}")
            .Order(StringComparer.Ordinal);
        var actual = exports.Select(e => $"{e.Path} {(e.Groups.IsEmpty ? "(everyone)" : string.Join(',', e.Groups))}").Order(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
        Assert.Contains(exports, e => e.Path == server.ExportPath);
    }

    [Fact]
    public async Task ProbeAsync_RealGanesha_UpForExportDownForOther()
    {
        await using var server = await GaneshaServer.StartAsync();
        var sockets = NetworkNamespace.SocketFactory(server.Netns);
        var target = FreePort.Loopback(2049);

        var present = await new NfsExportProbe(new NfsExportProbeOptions { ExportPath = server.ExportPath }, TimeProvider.System, sockets).ProbeAsync(target, Ct);
        var absent = await new NfsExportProbe(new NfsExportProbeOptions { ExportPath = "/nope" }, TimeProvider.System, sockets).ProbeAsync(target, Ct);

        Assert.True(present.IsUp, present.ToString());
        Assert.Equal("export /nope not listed (2 exports)", absent.Reason);
    }
}
