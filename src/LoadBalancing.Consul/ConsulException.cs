using System.Net;

namespace LoadBalancing.Consul;

/// <summary>
/// Consul answered with an unexpected HTTP status. <see cref="ResponseBody"/> is Consul's own (plain-text) error
/// message, e.g. <c>Unknown check ID "x". Ensure that the check ID is passed, not the check name.</c>
/// </summary>
public sealed class ConsulException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="responseBody">Consul's error text.</param>
    /// <param name="method">The request method.</param>
    /// <param name="path">The request path (no query string, so tokens or values never leak into logs).</param>
    public ConsulException(HttpStatusCode statusCode, string responseBody, string method, string path)
        : base($"Consul {method} {path} failed with {(int)statusCode} {statusCode}: {(responseBody.Length == 0 ? "(empty body)" : responseBody.Trim())}")
    {
        StatusCode = statusCode;
        ResponseBody = responseBody;
    }

    /// <summary>Creates an exception without a response (for serializers and tests).</summary>
    public ConsulException() : this(HttpStatusCode.InternalServerError, "", "?", "?")
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    /// <param name="message">The message.</param>
    public ConsulException(string message) : base(message) => ResponseBody = "";

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ConsulException(string message, Exception innerException) : base(message, innerException) => ResponseBody = "";

    /// <summary>The HTTP status Consul answered with.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>Consul's response body (its error text); empty when there was none.</summary>
    public string ResponseBody { get; }
}
