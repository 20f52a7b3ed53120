namespace Vidgate.Server.Videos;

/// <summary>The <c>/v1/videos</c> feature: the service behind the endpoints and the signed content links.</summary>
internal static class VideosExtensions
{
    public static IServiceCollection AddVideos(this IServiceCollection services)
    {
        services.AddSingleton<ContentLinks>();
        services.AddSingleton<VideoService>();
        services.AddSingleton<ImageUrlFetch>();
        services.AddSingleton<CreateVideo>();
        services.AddHostedService<ContentLinksStartup>();
        return services;
    }

    /// <summary>Loads (or makes) the link secret before the server listens, so the first answer can sign a link.</summary>
    private sealed class ContentLinksStartup(ContentLinks links) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => links.InitializeAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
