using Amazon.Runtime;
using Amazon.S3;
using Microsoft.Extensions.Options;

namespace Vidgate.Server.Storage;

/// <summary>
/// Where results and reference images are kept: <c>Vidgate:Storage:Provider</c> = <c>filesystem</c> (files under
/// <c>{DataDir}/blobs</c>, the default) or <c>s3</c> (an S3-compatible bucket, <c>Vidgate:Storage:S3:*</c>).
/// </summary>
internal static class StorageExtensions
{
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IAmazonS3>(sp => CreateClient(sp.GetRequiredService<IOptions<StorageOptions>>().Value.S3));
        services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<IOptions<StorageOptions>>().Value.IsS3
            ? ActivatorUtilities.CreateInstance<S3BlobStore>(sp)
            : ActivatorUtilities.CreateInstance<FileBlobStore>(sp));
        services.AddSingleton<IStartupCheck, StorageCheck>();
        return services;
    }

    public static AmazonS3Client CreateClient(S3StorageOptions options)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = options.Region,
            // Checksums only where S3 requires them: S3-compatible servers differ in the newer checksum headers.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (string.IsNullOrWhiteSpace(options.ServiceUrl))
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }
        else
        {
            config.ServiceURL = options.ServiceUrl;
        }

        return string.IsNullOrWhiteSpace(options.AccessKey)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
    }

    /// <summary>A bucket that cannot be used stops the start (see <see cref="IStartupCheck"/>), instead of failing every upload later.</summary>
    private sealed class StorageCheck(IBlobStore blobs) : IStartupCheck
    {
        public async Task<string?> CheckAsync(CancellationToken ct)
            => await blobs.CheckAsync(ct) is { } problem ? $"storage: {problem}. Fix Vidgate:Storage:S3 (or create the bucket) and start again." : null;
    }
}
