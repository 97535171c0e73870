using Tmds.DBus.Protocol;

namespace LoadBalancing.Agent.Systemd;

/// <summary>Message building. A <see cref="MessageWriter"/> is a ref struct that cannot cross an await, so each message is built synchronously here.</summary>
internal sealed partial class SystemdManager
{
    private delegate void WriterAction(ref MessageWriter writer);

    private MessageBuffer Build(string path, string iface, string method, string signature, WriterAction body)
    {
        var writer = _connection.GetMessageWriter();
        try
        {
            writer.WriteMethodCallHeader(Service, path, iface, method, signature.Length == 0 ? null : signature);
            body(ref writer);
            return writer.CreateMessage();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private MessageBuffer BuildUnitModeCall(string method, string unit)
        => Build(ManagerPath, ManagerInterface, method, "ss", (ref MessageWriter w) =>
        {
            w.WriteString(unit);
            w.WriteString("replace");
        });

    // StartTransientUnit(s name, s mode, a(sv) properties, a(sa(sv)) aux)
    private MessageBuffer BuildStartTransient(MountSpec spec)
        => Build(ManagerPath, ManagerInterface, "StartTransientUnit", "ssa(sv)a(sa(sv))", (ref MessageWriter w) =>
        {
            w.WriteString(spec.Unit);
            w.WriteString("fail");
            var properties = w.WriteArrayStart(DBusType.Struct);
            Property(ref w, "Description", spec.Description);
            Property(ref w, "What", spec.What);
            Property(ref w, "Where", spec.Where);
            Property(ref w, "Type", spec.Type);
            if (spec.Options.Length > 0)
            {
                Property(ref w, "Options", spec.Options);
            }

            w.WriteStructureStart();
            w.WriteString("TimeoutUSec");
            w.WriteVariant(VariantValue.UInt64((ulong)(spec.Timeout.Ticks / TimeSpan.TicksPerMicrosecond)));
            w.WriteArrayEnd(properties);
            var aux = w.WriteArrayStart(DBusType.Struct);
            w.WriteArrayEnd(aux);
        });

    private static void Property(ref MessageWriter writer, string name, string value)
    {
        writer.WriteStructureStart();
        writer.WriteString(name);
        writer.WriteVariantString(value);
    }
}
