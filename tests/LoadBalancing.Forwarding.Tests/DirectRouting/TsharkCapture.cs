using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

/// <summary>
/// tshark capturing on one interface of a lab namespace (a capture filter, written as classic pcap), stopped with
/// SIGINT so it flushes; plus readers for the file: tshark's own field decoding and the raw frames.
/// </summary>
internal sealed class TsharkCapture : IAsyncDisposable
{
    private const int SigInt = 2;
    private readonly Process _process;
    private readonly TaskCompletionSource _capturing = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _stderr = new();

    private TsharkCapture(Process process, string file)
    {
        _process = process;
        File = file;
    }

    public string File { get; }

    /// <summary>Starts tshark in <paramref name="ns"/> on <paramref name="device"/> and waits until it captures.</summary>
    public static async Task<TsharkCapture> StartAsync(string ns, string device, string captureFilter, string file, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["netns", "exec", ns, "tshark", "-n", "-i", device, "-f", captureFilter, "-F", "pcap", "-w", file])
        {
            info.ArgumentList.Add(argument);
        }

        var capture = new TsharkCapture(Process.Start(info)!, file);
        capture._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                capture._capturing.TrySetException(new InvalidOperationException($"tshark exited: {capture.Stderr}"));
                return;
            }

            lock (capture._stderr)
            {
                capture._stderr.AppendLine(e.Data);
            }

            if (e.Data.Contains("Capturing on", StringComparison.Ordinal))
            {
                capture._capturing.TrySetResult();
            }
        };
        capture._process.BeginErrorReadLine();
        capture._process.BeginOutputReadLine();
        try
        {
            await capture._capturing.Task.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
        }
        catch
        {
            await capture.DisposeAsync();
            throw;
        }

        return capture;
    }

    private string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Stops the capture (SIGINT to tshark, the process this object started) and waits for the file.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigInt);
        }

        await _process.WaitForExitAsync(cancellationToken);
    }

    /// <summary>Decodes the file with tshark: one string array per frame with the given fields.</summary>
    public async Task<List<string[]>> FieldsAsync(CancellationToken cancellationToken, params string[] fields)
    {
        var output = await NetLab.RunAsync(cancellationToken, ["tshark", "-n", "-r", File, "-T", "fields", "-E", "separator=/t", .. fields.SelectMany(f => new[] { "-e", f })]);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t'))];
    }

    /// <summary>The raw frames of the (classic, little- or big-endian) pcap file.</summary>
    public byte[][] ReadFrames()
    {
        var bytes = System.IO.File.ReadAllBytes(File);
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        var little = magic is 0xa1b2c3d4 or 0xa1b23c4d;
        Assert.True(little || magic is 0xd4c3b2a1 or 0x4d3cb2a1, $"{File} is not a pcap file (magic {magic:x8})");
        uint U32(int offset) => little ? BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset)) : BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset));
        Assert.Equal(1u, U32(20)); // LINKTYPE_ETHERNET
        var frames = new List<byte[]>();
        for (var offset = 24; offset + 16 <= bytes.Length;)
        {
            var captured = (int)U32(offset + 8);
            var original = (int)U32(offset + 12);
            Assert.Equal(original, captured); // never truncated by the snap length
            frames.Add(bytes[(offset + 16)..(offset + 16 + captured)]);
            offset += 16 + captured;
        }

        return [.. frames];
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

#pragma warning disable SYSLIB1054 // DllImport: LibraryImport would need AllowUnsafeBlocks in this project.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054
}
