using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vidgate.Server.Storage;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Storage;

/// <summary>The blob store contract on an S3-compatible bucket (a real s3rver), with a small part size so windows and parts are exercised.</summary>
public sealed class S3BlobStoreContractTests : BlobStoreContract
{
    private S3rverServer _s3 = null!;
    private Amazon.S3.AmazonS3Client _client = null!;
    private IBlobStore _store = null!;

    private protected override IBlobStore Store => _store;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _s3 = await S3rverServer.StartAsync();
        var options = new StorageOptions
        {
            Provider = "s3",
            S3 = new S3StorageOptions
            {
                ServiceUrl = _s3.Url,
                Bucket = _s3.Bucket,
                AccessKey = S3rverServer.AccessKey,
                SecretKey = S3rverServer.SecretKey,
                ForcePathStyle = true,
                PartSizeBytes = 5L * 1024 * 1024,
            },
        };
        _client = StorageExtensions.CreateClient(options.S3);
        _store = new S3BlobStore(_client, Options.Create(options), NullLogger<S3BlobStore>.Instance);
    }

    public override async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _s3.DisposeAsync();
        await base.DisposeAsync();
    }
}
