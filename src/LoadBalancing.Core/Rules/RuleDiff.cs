using LoadBalancing.Listing;
using LoadBalancing.Model;

namespace LoadBalancing.Rules;

/// <summary>
/// Compares two tables and lists the ipvsadm commands that turn the first into the second: what <c>lbadm diff</c>
/// shows before a restore. Services and real servers come in ipvsadm's listing order (libipvs comparators);
/// two records are equal when the rules file would write them the same way (thresholds included).
/// </summary>
public static class RuleDiff
{
    /// <summary>Lists the commands that turn <paramref name="current"/> into <paramref name="target"/>.</summary>
    /// <param name="current">The table now.</param>
    /// <param name="target">The table wanted.</param>
    /// <returns>The differences, empty when the tables are the same; a <c>--set</c> change first, then per service.</returns>
    public static IReadOnlyList<RuleDifference> Compare(LoadBalancerConfig current, LoadBalancerConfig target)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(target);
        var result = new List<RuleDifference>();
        if (current.Timeouts != target.Timeouts)
        {
            var t = target.Timeouts;
            result.Add(new RuleDifference(
                RuleDifferenceKind.Changed,
                FormattableString.Invariant($"--set {(long)t.TcpEstablished.TotalSeconds} {(long)t.TcpFinWait.TotalSeconds} {(long)t.Udp.TotalSeconds}")));
        }

        var before = current.Services.ToDictionary(s => s.Key);
        var after = target.Services.ToDictionary(s => s.Key);
        var keys = current.Services.Concat(target.Services.Where(s => !before.ContainsKey(s.Key)))
            .Select(s => new ListedService { Config = s })
            .ToList();
        foreach (var listed in IpvsSort.MergeSort(keys, IpvsSort.CompareServices))
        {
            var key = listed.Config.Key;
            var old = before.TryGetValue(key, out var o) ? Render(o) : null;
            var next = after.TryGetValue(key, out var n) ? Render(n) : null;
            if (next is null)
            {
                result.Add(new RuleDifference(RuleDifferenceKind.Removed, $"-D {old!.Spec}"));
                continue;
            }

            if (old is null)
            {
                result.Add(new RuleDifference(RuleDifferenceKind.Added, next.ServiceLine));
            }
            else if (old.ServiceLine != next.ServiceLine)
            {
                result.Add(new RuleDifference(RuleDifferenceKind.Changed, string.Concat("-E", next.ServiceLine.AsSpan(2))));
            }

            CompareServers(old, next, n!, o, result);
        }

        return result;
    }

    private static void CompareServers(RenderedService? old, RenderedService next, VirtualServiceConfig nextConfig, VirtualServiceConfig? oldConfig, List<RuleDifference> result)
    {
        var servers = (oldConfig?.RealServers ?? [])
            .Concat(nextConfig.RealServers)
            .DistinctBy(r => (r.Address, r.Port))
            .Select(r => new ListedRealServer { Config = r })
            .ToList();
        foreach (var server in IpvsSort.MergeSort(servers, IpvsSort.CompareDestinations))
        {
            var id = (server.Config.Address, server.Config.Port);
            string? was = null;
            old?.Servers.TryGetValue(id, out was);
            next.Servers.TryGetValue(id, out var now);
            if (now is null)
            {
                var address = IpvsListing.FormatEndpoint(id.Address, id.Port, nextConfig.Key.Protocol, numeric: true, ServiceNameTable.Empty);
                result.Add(new RuleDifference(RuleDifferenceKind.Removed, $"-d {next.Spec} -r {address}"));
            }
            else if (was is null)
            {
                result.Add(new RuleDifference(RuleDifferenceKind.Added, now));
            }
            else if (was != now)
            {
                result.Add(new RuleDifference(RuleDifferenceKind.Changed, string.Concat("-e", now.AsSpan(2))));
            }
        }
    }

    private static RenderedService Render(VirtualServiceConfig service)
    {
        // The rules file's own writer: numeric, thresholds kept, servers in configuration order.
        var writer = new StringWriter();
        IpvsListing.WriteRules(writer, LoadBalancerConfig.Empty with { Services = [service] });
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var serviceLine = lines[0];
        var spec = serviceLine[3..serviceLine.IndexOf(" -s ", StringComparison.Ordinal)];
        var servers = new Dictionary<(NetworkAddress, ushort), string>();
        for (var i = 0; i < service.RealServers.Length; i++)
        {
            servers[(service.RealServers[i].Address, service.RealServers[i].Port)] = lines[i + 1];
        }

        return new RenderedService(spec, serviceLine, servers);
    }

    private sealed record RenderedService(string Spec, string ServiceLine, Dictionary<(NetworkAddress, ushort), string> Servers);
}
