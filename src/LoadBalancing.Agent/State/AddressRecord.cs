namespace LoadBalancing.Agent.State;

/// <summary>An address the agent added (and so removes on revert); addresses that were already there are not recorded.</summary>
internal sealed record AddressRecord(string Interface, string Address, byte PrefixLength);
