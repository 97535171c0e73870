using System.Net;
using System.Net.Sockets;
using System.Text;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Director.Host.Demo;

/// <summary>
/// Stand-in for the userspace proxy until it is merged: each request asks the running service's scheduler for a
/// real server (exactly the decision the forwarder makes), connects to it directly and counts the connection,
/// packets and bytes on the service and server statistics, so <c>lbadm -Ln --stats</c> shows real figures.
/// </summary>
internal sealed class SchedulerTraffic(ServiceTable table, VirtualServiceKey service) : IDemoTraffic
{
    public string Description => $"client -> scheduler of {service} -> real server (stand-in until the proxy forwarder is wired in)";

    public async Task<string?> SendAsync(int sequence, CancellationToken cancellationToken)
    {
        if (!table.TryGetService(service, out var state))
        {
            return null;
        }

        var request = new SchedulingRequest(ServiceProtocol.Tcp, NetworkAddress.Parse("127.0.0.1"), (ushort)(40000 + (sequence % 20000)), service.Address, service.Port);
        if (state.Schedule(in request) is not { } destination)
        {
            return null;
        }

        var payload = Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {service.Address}\r\nConnection: close\r\n\r\n");
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(new IPEndPoint(destination.Address.ToIPAddress(), destination.Port), cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync(payload, cancellationToken);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            var response = await reader.ReadToEndAsync(cancellationToken);

            foreach (var statistics in new[] { state.Statistics, destination.Statistics })
            {
                statistics.AddConnection();
                statistics.AddInbound(payload.Length);
                statistics.AddOutbound(response.Length);
            }

            var marker = response.LastIndexOf("hello from ", StringComparison.Ordinal);
            return marker < 0 ? null : response[(marker + "hello from ".Length)..].Trim();
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
