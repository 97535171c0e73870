using System.Net.Http.Headers;
using System.Net.Sockets;
using Grpc.Net.Client;

namespace LoadBalancing.Grpc;

/// <summary>
/// Opens a gRPC channel to a director's control API from an address as <c>lbadm --director</c> takes it:
/// <c>unix:/run/lbadm/director.sock</c> (the default, local-only), or <c>https://host:port</c>
/// (<c>http://</c> only for loopback tests) with a bearer token.
/// </summary>
public static class DirectorChannel
{
    /// <summary>The prefix of Unix domain socket addresses.</summary>
    public const string UnixPrefix = "unix:";

    /// <summary>Creates a channel.</summary>
    /// <param name="address"><c>unix:PATH</c>, <c>https://host:port</c> or <c>http://host:port</c>.</param>
    /// <param name="bearerToken">Sent as <c>Authorization: Bearer …</c> on every call when not <see langword="null"/>.</param>
    /// <returns>The channel; dispose it when done.</returns>
    /// <exception cref="FormatException">The address is neither a <c>unix:</c> path nor an http(s) URI.</exception>
    public static GrpcChannel Create(string address, string? bearerToken = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false };
        Uri uri;
        if (address.StartsWith(UnixPrefix, StringComparison.Ordinal))
        {
            var path = address[UnixPrefix.Length..];
            if (path.Length == 0)
            {
                throw new FormatException($"'{address}': a unix: address needs a socket path");
            }

            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };

            // The authority is never resolved: every connection goes to the socket.
            uri = new Uri("http://localhost");
        }
        else if (!Uri.TryCreate(address, UriKind.Absolute, out uri!) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new FormatException($"'{address}': expected unix:PATH or https://HOST:PORT");
        }

        HttpMessageHandler outer = handler;
        if (bearerToken is not null)
        {
            outer = new BearerTokenHandler(bearerToken) { InnerHandler = handler };
        }

        return GrpcChannel.ForAddress(uri, new GrpcChannelOptions { HttpHandler = outer, DisposeHttpClient = true });
    }

    private sealed class BearerTokenHandler(string token) : DelegatingHandler
    {
        private readonly AuthenticationHeaderValue _header = new("Bearer", token);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = _header;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
