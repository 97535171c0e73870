using System.Net;

namespace LoadBalancing.Agent.Planning;

/// <summary>Add a VIP to the loopback interface.</summary>
internal sealed record AddAddressChange(string Interface, int InterfaceIndex, IPAddress Address, byte PrefixLength, byte Scope, uint Flags, string Method) : AgentChange
{
    public override int Order => 1;

    public override string ToString() => $"address add {Address}/{PrefixLength} dev {Interface} ({Method})";
}
