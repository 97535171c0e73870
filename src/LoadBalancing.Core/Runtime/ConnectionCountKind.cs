namespace LoadBalancing.Runtime;

/// <summary>Which counter of a real server a bound connection entry counts in.</summary>
internal enum ConnectionCountKind
{
    /// <summary>ActiveConn.</summary>
    Active,

    /// <summary>InActConn.</summary>
    Inactive,

    /// <summary>PersistConn (a persistence template).</summary>
    Template,
}
