using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LoadBalancing.Health.Tests.Fixtures;

/// <summary>
/// Creates sockets inside a named network namespace (<c>/var/run/netns/NAME</c>) from this process: a
/// short-lived thread joins the namespace with setns(2) (per thread for CLONE_NEWNET) and creates the socket,
/// which stays in that namespace whichever thread uses it afterwards.
/// </summary>
internal static partial class NetworkNamespace
{
    private const int CloneNewNet = 0x40000000;

    public static Func<AddressFamily, Socket> SocketFactory(string name) => family =>
    {
        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{name}");
                if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns({name}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            }
            catch (Exception ex) when (ex is not null)
            {
                error = ex;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new InvalidOperationException("socket in netns not created", error);
    };

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
