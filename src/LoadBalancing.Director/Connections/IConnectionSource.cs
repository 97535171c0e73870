namespace LoadBalancing.Director.Connections;

/// <summary>
/// Something that holds connections (a forwarder's connection table) and can list them for <c>lbadm -L -c</c>.
/// Register implementations in DI; the control API lists the entries of all of them.
/// </summary>
public interface IConnectionSource
{
    /// <summary>Returns the current entries; a snapshot, safe to call from any thread.</summary>
    /// <returns>The entries.</returns>
    IEnumerable<ConnectionInfo> GetConnections();
}
