using System.Text;

namespace LoadBalancing.Agent.Systemd;

/// <summary>The text of a <c>.mount</c> unit file for a runtime or persistent shared mount.</summary>
internal static class MountUnitFile
{
    public static string Render(MountSpec spec)
    {
        var text = new StringBuilder()
            .AppendLine("# Written by the LoadBalancing agent (lbagent); `lbagent revert` removes it.")
            .AppendLine("[Unit]")
            .Append("Description=").AppendLine(spec.Description)
            .AppendLine()
            .AppendLine("[Mount]")
            .Append("What=").AppendLine(spec.What)
            .Append("Where=").AppendLine(spec.Where)
            .Append("Type=").AppendLine(spec.Type);
        if (spec.Options.Length > 0)
        {
            text.Append("Options=").AppendLine(spec.Options);
        }

        return text
            .Append("TimeoutSec=").AppendLine(((long)Math.Ceiling(spec.Timeout.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .AppendLine()
            .AppendLine("[Install]")
            .Append("WantedBy=").AppendLine(spec.IsNetwork ? "remote-fs.target" : "local-fs.target")
            .ToString();
    }
}
