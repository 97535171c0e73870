namespace LoadBalancing.Consul.Internal;

/// <summary>Escapes IDs and keys as URL path segments (Consul IDs containing '/' or an encoded newline are rejected by the agent anyway).</summary>
internal static class ConsulPath
{
    public static string Segment(string value, string parameterName)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, parameterName);
        return Uri.EscapeDataString(value);
    }

    /// <summary>A KV key keeps its '/' separators; each segment is escaped on its own.</summary>
    public static string Key(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.StartsWith('/'))
        {
            throw new ArgumentException("Consul keys must not start with '/'.", nameof(key));
        }

        return string.Join('/', key.Split('/').Select(Uri.EscapeDataString));
    }
}
