namespace LoadBalancing.Director;

/// <summary>
/// Options of the director (configuration section <c>Director</c> in the sample host). Validated when the host
/// starts; a bad value stops the start with a message naming the option.
/// </summary>
public sealed class DirectorOptions
{
    /// <summary>The control socket of a director installed system-wide.</summary>
    public const string DefaultControlSocketPath = "/run/lbadm/director.sock";

    /// <summary>
    /// Gets or sets the ipvsadm rules file the table is loaded from and operator changes are saved to
    /// (<c>ipvsadm-save -n</c> format, as <c>lbadm --rules-file</c> writes it). <see langword="null"/>: no file;
    /// the table lives in memory and starts from the discovery providers only.
    /// </summary>
    public string? RulesFile { get; set; }

    /// <summary>Gets or sets a value indicating whether a change of <see cref="RulesFile"/> on disk is reloaded.</summary>
    public bool WatchRulesFile { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether SIGHUP reloads <see cref="RulesFile"/>.</summary>
    public bool ReloadOnSighup { get; set; } = true;

    /// <summary>Gets or sets how long file events must pause before a reload (editors write in several steps).</summary>
    public TimeSpan ReloadDebounce { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Gets or sets the Unix domain socket of the control API (mode 0660: access is the socket's file
    /// permissions). Empty or <see langword="null"/> disables it.
    /// </summary>
    public string? ControlSocketPath { get; set; } = DefaultControlSocketPath;

    /// <summary>
    /// Gets or sets the group (name from <c>/etc/group</c>, or a number) the control socket is given to, so that its
    /// members may run <c>lbadm</c> against the director; <see langword="null"/> keeps the process's group.
    /// </summary>
    public string? ControlSocketGroup { get; set; }

    /// <summary>
    /// Gets or sets a TCP endpoint for the control API (<c>127.0.0.1:50051</c>, <c>[::1]:50051</c>; port 0 picks one),
    /// off by default. Requires <see cref="BearerToken"/>, and <see cref="CertificatePath"/> (TLS) unless the address is
    /// a loopback address.
    /// </summary>
    public string? ControlTcpEndpoint { get; set; }

    /// <summary>Gets or sets the bearer token every call over TCP must carry (<c>Authorization: Bearer …</c>); at least 16 characters.</summary>
    public string? BearerToken { get; set; }

    /// <summary>Gets or sets a PKCS#12 (.pfx) certificate: when set, the TCP endpoint serves TLS only.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Gets or sets the password of <see cref="CertificatePath"/>.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// Gets the static discovery provider's services as ipvsadm command lines (<c>-A -t 10.0.0.1:80 -s rr</c>,
    /// <c>-a -t 10.0.0.1:80 -r 10.0.0.2 -m</c>). They are merged under the rules file's services.
    /// </summary>
    public IList<string> StaticRules { get; } = [];
}
