using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace LoadBalancing.Health.Probes;

/// <summary>
/// Runs a program, as keepalived's <c>MISC_CHECK</c>: exit 0 is up, 1 is down, and with <c>misc_dynamic</c>
/// 2..255 is up with weight code − 2. Output is read and discarded so a chatty program cannot block on a full pipe.
/// </summary>
internal sealed class ExecProbe(ExecProbeOptions options, TimeProvider timeProvider) : IHealthProbe
{
    public string Name => "exec";

    public async ValueTask<ProbeResult> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(options.FileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var address = target.Address.ToString();
        var port = target.Port.ToString(CultureInfo.InvariantCulture);
        foreach (var argument in options.Arguments)
        {
            startInfo.ArgumentList.Add(argument.Replace("{address}", address, StringComparison.Ordinal).Replace("{port}", port, StringComparison.Ordinal));
        }

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            return ProbeResult.Down($"exec {options.FileName}: {ex.Message}");
        }

        process.StandardInput.Close();
        var drain = Task.WhenAll(process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None), process.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None));
        using var deadline = new ProbeDeadline(options.Timeout, timeProvider, cancellationToken);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            if (!deadline.IsExpired)
            {
                throw;
            }

            return ProbeResult.Down(string.Create(CultureInfo.InvariantCulture, $"exec {options.FileName}: timeout after {options.Timeout.TotalMilliseconds:0} ms, killed"));
        }

        await drain.ConfigureAwait(false);
        return Classify(process.ExitCode, options.Dynamic, options.FileName);
    }

    internal static ProbeResult Classify(int exitCode, bool dynamic, string fileName) => exitCode switch
    {
        0 => ProbeResult.Up(),
        >= 2 and <= 255 when dynamic => ProbeResult.Weighted(exitCode - 2),
        _ => ProbeResult.Down(string.Create(CultureInfo.InvariantCulture, $"exec {fileName}: exit code {exitCode}")),
    };

    private static void Kill(Process process)
    {
        try
        {
            // The whole tree: a script's children would otherwise outlive it and keep its pipes open.
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        catch (Win32Exception)
        {
            // Exited meanwhile, or not ours to kill any more.
        }
    }
}
