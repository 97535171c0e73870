using System.Text;

namespace LoadBalancing.Agent.Systemd;

/// <summary>
/// The unit name systemd requires for a mount point, as <c>systemd-escape --path --suffix=mount</c> makes it
/// (src/basic/unit-name.c, unit_name_path_escape): drop leading and trailing slashes and collapse repeated ones,
/// '/' becomes '-', keep [A-Za-z0-9:_.] except a leading '.', every other byte becomes \xHH; the root is "-".
/// </summary>
internal static class MountUnitName
{
    public static string FromPath(string path)
    {
        var trimmed = string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        if (trimmed.Length == 0)
        {
            return "-.mount";
        }

        var builder = new StringBuilder(trimmed.Length + 6);
        var bytes = Encoding.UTF8.GetBytes(trimmed);
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            if (b == '/')
            {
                builder.Append('-');
            }
            else if ((b == '.' && i == 0) || !(char.IsAsciiLetterOrDigit((char)b) || b is (byte)':' or (byte)'_' or (byte)'.'))
            {
                builder.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append((char)b);
            }
        }

        return builder.Append(".mount").ToString();
    }
}
