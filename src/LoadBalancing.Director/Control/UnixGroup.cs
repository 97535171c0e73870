using System.Globalization;
using System.Runtime.InteropServices;

namespace LoadBalancing.Director.Control;

/// <summary>Resolves <see cref="DirectorOptions.ControlSocketGroup"/> and gives the control socket to that group.</summary>
internal static partial class UnixGroup
{
    private const string GroupFile = "/etc/group";

    /// <summary>Resolves a group name (from <c>/etc/group</c>) or a numeric id.</summary>
    public static bool TryResolve(string group, out uint gid)
    {
        if (uint.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out gid))
        {
            return true;
        }

        if (File.Exists(GroupFile))
        {
            // name:password:gid:members
            foreach (var line in File.ReadLines(GroupFile))
            {
                var fields = line.Split(':');
                if (fields.Length >= 3 && fields[0] == group && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out gid))
                {
                    return true;
                }
            }
        }

        gid = 0;
        return false;
    }

    /// <summary>Changes the group of <paramref name="path"/>, keeping its owner.</summary>
    /// <exception cref="InvalidOperationException">chown failed (not root and not a member of the group).</exception>
    public static void SetGroup(string path, string group)
    {
        if (!TryResolve(group, out var gid))
        {
            throw new InvalidOperationException($"Director:ControlSocketGroup '{group}' is not a group in {GroupFile} nor a number.");
        }

        if (Chown(path, uint.MaxValue, gid) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new InvalidOperationException($"Director:ControlSocketGroup '{group}': chown {path} failed ({Marshal.GetPInvokeErrorMessage(errno)}); run as root or as a member of the group.");
        }
    }

    // uid (uid_t)-1 keeps the owner.
    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, uint owner, uint group);
}
