using System.Text.Json;

namespace LoadBalancing.Agent.State;

/// <summary>
/// The state file, replaced atomically: write a temporary file in the same directory, fsync it, rename it over the
/// old one, fsync the directory. A crash leaves either the old or the new file, never a torn one.
/// </summary>
internal sealed partial class AgentStateStore(string path)
{
    public string Path { get; } = path;

    public AgentState? Load()
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(Path), AgentStateJsonContext.Default.AgentState)
                ?? throw new AgentException($"state file {Path} is empty");
        }
        catch (JsonException ex)
        {
            throw new AgentException($"state file {Path} is not valid ({ex.Message}); it records what revert must restore, so fix or remove it by hand");
        }
    }

    public void Save(AgentState state)
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        try
        {
            Directory.CreateDirectory(directory);
            var temporary = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.tmp");
            var bytes = JsonSerializer.SerializeToUtf8Bytes(state, AgentStateJsonContext.Default.AgentState);
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, Path, overwrite: true);
            FsyncDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AgentException($"cannot write state file {Path}: {ex.Message}");
        }
    }

    public void Delete()
    {
        if (File.Exists(Path))
        {
            File.Delete(Path);
            FsyncDirectory(System.IO.Path.GetDirectoryName(Path)!);
        }
    }

    // The rename is durable only once the directory entry is on disk; .NET does not open directories, so libc does.
    private static void FsyncDirectory(string directory)
    {
        const int ORdonly = 0, ODirectory = 0x10000, OCloexec = 0x80000;
        var fd = Native.Open(directory, ORdonly | ODirectory | OCloexec);
        if (fd >= 0)
        {
            _ = Native.Fsync(fd);
            _ = Native.Close(fd);
        }
    }

    private static partial class Native
    {
        [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "open", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
        public static partial int Open(string path, int flags);

        [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "fsync")]
        public static partial int Fsync(int fd);

        [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "close")]
        public static partial int Close(int fd);
    }
}
