using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace LoadBalancing.Director.Control;

/// <summary>
/// An extra gRPC service served on the control API's endpoints (Unix socket, TCP with the bearer token), e.g. the
/// embedded registry. Registered in the director's container; <see cref="ControlApiHost"/> adds and maps each one.
/// </summary>
internal interface IControlApiService
{
    /// <summary>Adds what the service needs to the control API's own container.</summary>
    void AddServices(IServiceCollection services);

    /// <summary>Maps the gRPC service.</summary>
    void Map(IEndpointRouteBuilder endpoints);
}
