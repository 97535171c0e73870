using System.Collections.Immutable;

namespace LoadBalancing.Health.Nfs;

/// <summary>Parses the MOUNTPROC3_EXPORT result (RFC 1813 §5.2.5): a linked list of exportnode, each with a linked list of groupnode.</summary>
internal static class MountExportList
{
    // RFC 1813: MNTPATHLEN 1024, MNTNAMLEN 255.
    private const uint MaxPathLength = 1024;
    private const uint MaxNameLength = 255;

    // Bounds against a hostile or broken server; real export lists are far smaller.
    private const int MaxExports = 10000;
    private const int MaxGroupsPerExport = 10000;

    public static bool TryParse(ReadOnlySpan<byte> results, out ImmutableArray<NfsExport> exports, out string? error)
    {
        exports = [];
        var reader = new XdrReader(results);
        var list = ImmutableArray.CreateBuilder<NfsExport>();
        while (true)
        {
            // "exports" is an XDR optional-data pointer: a bool, then the node when true.
            if (!reader.TryReadBool(out var more))
            {
                error = "export list truncated or malformed";
                return false;
            }

            if (!more)
            {
                break;
            }

            if (list.Count == MaxExports || !reader.TryReadString(MaxPathLength, out var path))
            {
                error = list.Count == MaxExports ? "export list too long" : "export path malformed";
                return false;
            }

            var groups = ImmutableArray.CreateBuilder<string>();
            while (true)
            {
                if (!reader.TryReadBool(out var moreGroups))
                {
                    error = "group list truncated or malformed";
                    return false;
                }

                if (!moreGroups)
                {
                    break;
                }

                if (groups.Count == MaxGroupsPerExport || !reader.TryReadString(MaxNameLength, out var group))
                {
                    error = "group name malformed";
                    return false;
                }

                groups.Add(group);
            }

            list.Add(new NfsExport(path, groups.ToImmutable()));
        }

        exports = list.ToImmutable();
        error = null;
        return true;
    }
}
