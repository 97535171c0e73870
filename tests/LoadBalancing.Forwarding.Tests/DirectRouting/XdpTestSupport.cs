using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Forwarding.Linux.Bpf;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

/// <summary>Skips XDP tests (fails them under CI=true) where BPF cannot be used: not Linux, not root, or bpf() refused.</summary>
internal static class XdpTestSupport
{
    public static void RequireOrSkip()
    {
        string? reason = null;
        if (!OperatingSystem.IsLinux())
        {
            reason = "XDP needs Linux";
        }
        else if (!Environment.IsPrivilegedProcess)
        {
            reason = "needs root (CAP_BPF, CAP_NET_ADMIN)";
        }
        else if (BpfSystemCall.SystemCallNumber == 0)
        {
            reason = $"bpf() system call number unknown on {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}";
        }
        else
        {
            try
            {
                using var probe = BpfSystemCall.CreateMap(BpfSystemCall.MapTypeLruHash, XdpFlowKey.Length, XdpFlowValue.Length, 1, "lb_probe");
            }
            catch (BpfException ex)
            {
                reason = $"the kernel refuses BPF maps here: {ex.Message}";
            }
        }

        if (reason is not null)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true")
            {
                Assert.Fail($"XDP test cannot run under CI=true: {reason}");
            }

            Assert.Skip($"XDP test skipped: {reason}");
        }
    }
}
