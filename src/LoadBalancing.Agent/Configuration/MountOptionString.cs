using System.Globalization;

namespace LoadBalancing.Agent.Configuration;

/// <summary>
/// Checks fstab-style mount options and turns them into systemd's <c>Options=</c>. Options that only the fstab
/// generator understands (<c>nofail</c>, <c>noauto</c>, <c>auto</c>, <c>x-systemd.*</c>) are dropped: in a unit file or
/// a transient unit they would reach mount(8) as unknown options. <c>_netdev</c> stays: systemd reads it from
/// <c>Options=</c> to order the unit after the network, and libmount does not pass it to the kernel.
/// </summary>
internal static class MountOptionString
{
    private static readonly string[] NfsVersions = ["2", "3", "4", "4.0", "4.1", "4.2"];

    /// <summary>Returns the first problem, or <see langword="null"/>.</summary>
    public static string? Validate(string options)
    {
        bool rw = false, ro = false, soft = false, hard = false;
        foreach (var raw in Split(options))
        {
            var (name, value) = SplitOption(raw);
            switch (name)
            {
                case "rw": rw = true; break;
                case "ro": ro = true; break;
                case "soft": soft = true; break;
                case "hard": hard = true; break;
                case "nfsvers" or "vers":
                    if (value is null || Array.IndexOf(NfsVersions, value) < 0)
                    {
                        return $"'{raw}': {name} must be one of {string.Join(", ", NfsVersions)}";
                    }

                    break;
                case "timeo" or "retrans" or "rsize" or "wsize" or "port" or "mountport" or "actimeo":
                    if (value is null || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 && name != "port")
                    {
                        return $"'{raw}': {name} needs a positive whole number";
                    }

                    break;
                case "proto" or "mountproto":
                    if (value is not ("tcp" or "udp" or "rdma" or "tcp6" or "udp6"))
                    {
                        return $"'{raw}': {name} must be tcp, udp, rdma, tcp6 or udp6";
                    }

                    break;
                default:
                    if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                    {
                        return $"'{raw}' is not a mount option";
                    }

                    break;
            }
        }

        if (rw && ro)
        {
            return "'rw' and 'ro' exclude each other";
        }

        return soft && hard ? "'soft' and 'hard' exclude each other" : null;
    }

    /// <summary>The options systemd passes to mount(8).</summary>
    public static string ToSystemd(string options)
        => string.Join(',', Split(options).Where(o => !IsGeneratorOnly(SplitOption(o).Name)));

    /// <summary>Whether the options mark a network file system (orders the unit after the network).</summary>
    public static bool HasNetDev(string options) => Split(options).Any(o => o == "_netdev");

    private static bool IsGeneratorOnly(string name)
        => name is "nofail" or "noauto" or "auto" || name.StartsWith("x-systemd.", StringComparison.Ordinal);

    private static string[] Split(string options)
        => options.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static (string Name, string? Value) SplitOption(string option)
    {
        var eq = option.IndexOf('=', StringComparison.Ordinal);
        return eq < 0 ? (option, null) : (option[..eq], option[(eq + 1)..]);
    }
}
