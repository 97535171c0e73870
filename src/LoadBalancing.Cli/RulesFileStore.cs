using System.Text;
using LoadBalancing.Listing;
using LoadBalancing.Model;
using LoadBalancing.Rules;

namespace LoadBalancing.Cli;

/// <summary>
/// The rules file as lbadm's table: <c>ipvsadm-save -n</c> lines (plus thresholds and <c>--set</c>, which -S
/// would drop). Readers see either the old or the new file (atomic rename); writers hold an exclusive lock on
/// <c>PATH.lock</c> around read-modify-write so two lbadm runs cannot lose each other's changes.
/// </summary>
internal sealed class RulesFileStore
{
    /// <summary>Where the rules live when neither <c>--rules-file</c> nor <c>LBADM_RULES_FILE</c> says.</summary>
    public const string DefaultPath = "/etc/lbadm/rules";

    /// <summary>The environment variable that overrides <see cref="DefaultPath"/>.</summary>
    public const string PathVariable = "LBADM_RULES_FILE";

    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public RulesFileStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }

    /// <summary>Reads the table; a missing file is an empty table.</summary>
    /// <exception cref="RuleParseException">The file is not valid rules.</exception>
    /// <exception cref="RuleApplyException">The file's rules contradict each other.</exception>
    public LoadBalancerConfig Load()
    {
        if (!File.Exists(Path))
        {
            return LoadBalancerConfig.Empty;
        }

        using var reader = new StreamReader(Path, Utf8);

        // Numeric names only: the file is written with -n, so it must not depend on this machine's /etc/services.
        var commands = RuleParser.ParseRestore(reader, ServiceNameTable.Empty);
        return RuleEditor.ApplyAll(LoadBalancerConfig.Empty, commands);
    }

    /// <summary>Runs <paramref name="change"/> on the current table under the lock and writes the result atomically.</summary>
    /// <returns>The new table.</returns>
    public LoadBalancerConfig Update(Func<LoadBalancerConfig, LoadBalancerConfig> change)
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        using var lockFile = AcquireLock(Path + ".lock");
        var current = Load();
        var next = change(current);
        if (!ReferenceEquals(next, current))
        {
            next.EnsureValid(RuleEditor.KernelSchedulers);
            Write(directory, next);
        }

        return next;
    }

    private static FileStream AcquireLock(string lockPath)
    {
        // FileShare.None is an exclusive flock(2) on Unix; retry while another lbadm holds it.
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    private void Write(string directory, LoadBalancerConfig config)
    {
        var temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            using (var writer = new StreamWriter(stream, Utf8))
            {
                writer.NewLine = "\n";
                writer.Write("# lbadm rules file: ipvsadm-save -n format (restorable with ipvsadm-restore); change it with lbadm\n");
                IpvsListing.WriteRules(writer, config);
                writer.Flush();

                // fsync before the rename, so a crash leaves either the old or the complete new file.
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, Path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
