using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace LoadBalancing.Consul.Internal;

/// <summary>
/// The client's own <see cref="SocketsHttpHandler"/>: no resilience handlers and no overall timeout, because a
/// blocking query legitimately takes up to wait × 17/16; each call sets its own timeout instead.
/// </summary>
internal static class ConsulHttpHandlerFactory
{
    public static SocketsHttpHandler Create(ConsulClientOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            // Recycle connections so DNS changes of the agent address are picked up.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = options.RequestTimeout,
            UseCookies = false,
            AllowAutoRedirect = false,
        };

        if (options.TlsServerName is { } serverName)
        {
            // Go's client strips a port from the server name; so do we.
            var colon = serverName.LastIndexOf(':');
            handler.SslOptions.TargetHost = colon > 0 && !serverName.Contains(']', StringComparison.Ordinal) ? serverName[..colon] : serverName;
        }

        if (options.ClientCertificateFile is { } certificateFile)
        {
            handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(certificateFile, options.ClientKeyFile)];
        }

        if (options.InsecureSkipVerify)
        {
            // Only when the operator sets CONSUL_HTTP_SSL_VERIFY=false, as the Go client allows.
#pragma warning disable CA5359
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        else if (options.CaCertificateFile is { } caFile)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(caFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => ValidateWithRoots(roots, certificate, chain, errors);
        }

        return handler;
    }

    /// <summary>Chain validation against the configured CA instead of the system store; the host name must still match.</summary>
    private static bool ValidateWithRoots(X509Certificate2Collection roots, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(leaf);
    }
}
