using LoadBalancing.Director.Control;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace LoadBalancing.Director.Discovery.Registry;

/// <summary>Serves <see cref="RegistryService"/> on the control API, sharing the director's <see cref="EmbeddedRegistry"/>.</summary>
internal sealed class RegistryControlApiService(EmbeddedRegistry registry) : IControlApiService
{
    public void AddServices(IServiceCollection services) => services.AddSingleton(registry);

    public void Map(IEndpointRouteBuilder endpoints) => endpoints.MapGrpcService<RegistryService>();
}
