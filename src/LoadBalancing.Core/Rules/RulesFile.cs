using System.Text;
using LoadBalancing.Listing;
using LoadBalancing.Model;

namespace LoadBalancing.Rules;

/// <summary>
/// A rules file as a table: <c>ipvsadm-save -n</c> lines (plus thresholds and <c>--set</c>, which -S would
/// drop). Readers see either the old or the new file (atomic rename); writers hold an exclusive lock on
/// <c>PATH.lock</c> around read-modify-write so two writers (lbadm runs, a director) cannot lose each other's
/// changes. Shared by <c>lbadm --rules-file</c> and the director, so both write the same format.
/// </summary>
public sealed class RulesFile
{
    /// <summary>Where lbadm and the director keep the rules when nothing else is configured.</summary>
    public const string DefaultPath = "/etc/lbadm/rules";

    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);
    private const string HeaderLine = "# lbadm rules file: ipvsadm-save -n format (restorable with ipvsadm-restore); change it with lbadm\n";

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Initializes a new instance for <paramref name="path"/> (made absolute).</summary>
    /// <param name="path">The rules file.</param>
    public RulesFile(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>Gets the absolute path of the file.</summary>
    public string Path { get; }

    /// <summary>Reads the table; a missing file is an empty table.</summary>
    /// <returns>The table.</returns>
    /// <exception cref="RuleParseException">The file is not valid rules.</exception>
    /// <exception cref="RuleApplyException">The file's rules contradict each other.</exception>
    public LoadBalancerConfig Load() => Load(null);

    /// <summary>Reads the table, checking scheduler names against <paramref name="knownSchedulers"/>; a missing file is an empty table.</summary>
    /// <param name="knownSchedulers">Scheduler names that exist; <see cref="RuleEditor.KernelSchedulers"/> when <see langword="null"/>.</param>
    /// <returns>The table.</returns>
    /// <exception cref="RuleParseException">The file is not valid rules.</exception>
    /// <exception cref="RuleApplyException">The file's rules contradict each other.</exception>
    public LoadBalancerConfig Load(IReadOnlySet<string>? knownSchedulers)
    {
        if (!File.Exists(Path))
        {
            return LoadBalancerConfig.Empty;
        }

        using var reader = new StreamReader(Path, Utf8);

        // Numeric names only: the file is written with -n, so it must not depend on this machine's /etc/services.
        var commands = RuleParser.ParseRestore(reader, ServiceNameTable.Empty);
        return RuleEditor.ApplyAll(LoadBalancerConfig.Empty, commands, knownSchedulers);
    }

    /// <summary>Runs <paramref name="change"/> on the current table under the lock and writes the result atomically.</summary>
    /// <param name="change">Computes the new table from the file's current one; returning the same instance writes nothing.</param>
    /// <param name="knownSchedulers">Scheduler names that exist; <see cref="RuleEditor.KernelSchedulers"/> when <see langword="null"/>.</param>
    /// <returns>The new table.</returns>
    /// <exception cref="RuleParseException">The current file is not valid rules.</exception>
    /// <exception cref="RuleApplyException">The current file's rules contradict each other.</exception>
    /// <exception cref="ConfigValidationException">The new table is invalid; the file is unchanged.</exception>
    public LoadBalancerConfig Update(Func<LoadBalancerConfig, LoadBalancerConfig> change, IReadOnlySet<string>? knownSchedulers = null)
    {
        ArgumentNullException.ThrowIfNull(change);
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        using var lockFile = AcquireLock(Path + ".lock");
        var current = Load();
        var next = change(current);
        if (!ReferenceEquals(next, current))
        {
            next.EnsureValid(knownSchedulers ?? RuleEditor.KernelSchedulers);
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

    /// <summary>Replaces the file with <paramref name="config"/> under the lock, atomically (temp file, fsync, rename).</summary>
    /// <param name="config">The table to write; not validated here.</param>
    public void Save(LoadBalancerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        using var lockFile = AcquireLock(Path + ".lock");
        Write(directory, config);
    }

    /// <summary>Renders <paramref name="config"/> exactly as the file would hold it.</summary>
    /// <param name="config">The table.</param>
    /// <returns>The file's text.</returns>
    public static string Render(LoadBalancerConfig config)
    {
        var writer = new StringWriter { NewLine = "\n" };
        writer.Write(HeaderLine);
        IpvsListing.WriteRules(writer, config);
        return writer.ToString();
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
                writer.Write(Render(config));
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
