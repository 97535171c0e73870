namespace LoadBalancing.Agent.Network;

/// <summary>
/// Reads and writes <c>/proc/sys/net/...</c> files. Values are the trimmed text of the file; the agent only writes
/// small integers. Names are relative, <c>net/ipv4/conf/all/arp_ignore</c>.
/// </summary>
internal sealed class ProcSysctl(string root = "/proc/sys")
{
    public bool Exists(string name) => File.Exists(Path.Combine(root, name));

    public string? Read(string name)
    {
        try
        {
            return File.ReadAllText(Path.Combine(root, name)).Trim();
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public void Write(string name, string value)
    {
        try
        {
            File.WriteAllText(Path.Combine(root, name), value + "\n");
        }
        catch (UnauthorizedAccessException)
        {
            throw new AgentException($"cannot write {Path.Combine(root, name)}: permission denied (the agent needs root with CAP_NET_ADMIN, and /proc/sys/net writable)");
        }
        catch (IOException ex)
        {
            throw new AgentException($"cannot write {Path.Combine(root, name)}: {ex.Message}");
        }
    }
}
