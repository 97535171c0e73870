using System.Net;
using System.Net.Sockets;

namespace LoadBalancing.Health.Tests.Fixtures;

/// <summary>A real TCP listener on 127.0.0.1 that the test switches on and off on a fixed port; accepts and closes.</summary>
internal sealed class ToggledListener : IDisposable
{
    private readonly Lock _lock = new();
    private Socket? _socket;

    public ToggledListener()
    {
        Port = FreePort.Tcp();
        Up = true;
    }

    public int Port { get; }

    public ProbeTarget Target => FreePort.Loopback(Port);

    public bool Up
    {
        get
        {
            lock (_lock)
            {
                return _socket is not null;
            }
        }

        set
        {
            lock (_lock)
            {
                if (value && _socket is null)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    socket.Bind(new IPEndPoint(IPAddress.Loopback, Port));
                    socket.Listen(128);
                    _socket = socket;
                    _ = AcceptLoopAsync(socket);
                }
                else if (!value && _socket is not null)
                {
                    _socket.Dispose();
                    _socket = null;
                }
            }
        }
    }

    public void Toggle()
    {
        lock (_lock)
        {
            Up = !Up;
        }
    }

    public void Dispose() => Up = false;

    private static async Task AcceptLoopAsync(Socket listener)
    {
        try
        {
            while (true)
            {
                using var client = await listener.AcceptAsync();
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Switched off.
        }
    }
}
