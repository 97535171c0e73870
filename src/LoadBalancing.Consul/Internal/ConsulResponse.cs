using System.Net;

namespace LoadBalancing.Consul.Internal;

/// <summary>A completed call: status, body bytes and the parsed <c>X-Consul-*</c> headers.</summary>
internal readonly record struct ConsulResponse(HttpStatusCode StatusCode, byte[] Body, QueryMeta Meta);
