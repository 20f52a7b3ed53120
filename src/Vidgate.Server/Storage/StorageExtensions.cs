namespace Vidgate.Server.Storage;

/// <summary>Where results and reference images are kept: the local folder under <c>Vidgate:DataDir</c>.</summary>
internal static class StorageExtensions
{
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddSingleton<IBlobStore, FileBlobStore>();
        return services;
    }
}
