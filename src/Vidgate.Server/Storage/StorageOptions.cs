using System.ComponentModel.DataAnnotations;

namespace Vidgate.Server.Storage;

/// <summary>Where results and reference images are kept (section <c>Vidgate:Storage</c>).</summary>
internal sealed class StorageOptions : IValidatableObject
{
    public const string Section = "Vidgate:Storage";

    /// <summary><c>filesystem</c> (default: files under <c>{DataDir}/blobs</c>) or <c>s3</c> (any S3-compatible server).</summary>
    public string Provider { get; set; } = "filesystem";

    public S3StorageOptions S3 { get; set; } = new();

    public bool IsS3 => string.Equals(Provider, "s3", StringComparison.OrdinalIgnoreCase);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IsS3 && !string.Equals(Provider, "filesystem", StringComparison.OrdinalIgnoreCase))
        {
            yield return new ValidationResult($"{Section}:Provider must be 'filesystem' or 's3', not '{Provider}'.");
            yield break;
        }

        if (!IsS3)
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(S3.Bucket))
        {
            yield return new ValidationResult($"{Section}:S3:Bucket is required when {Section}:Provider is s3.");
        }

        if (!string.IsNullOrWhiteSpace(S3.ServiceUrl) && !Uri.TryCreate(S3.ServiceUrl, UriKind.Absolute, out _))
        {
            yield return new ValidationResult($"{Section}:S3:ServiceUrl must be an absolute URL, e.g. http://127.0.0.1:9000.");
        }

        if (string.IsNullOrWhiteSpace(S3.AccessKey) != string.IsNullOrWhiteSpace(S3.SecretKey))
        {
            yield return new ValidationResult($"{Section}:S3:AccessKey and SecretKey go together (or leave both empty to use the AWS SDK's default credentials).");
        }

        if (S3.PartSizeBytes < 5L * 1024 * 1024)
        {
            yield return new ValidationResult($"{Section}:S3:PartSizeBytes must be at least 5 MiB (S3's smallest multipart part).");
        }
    }
}

/// <summary>An S3-compatible bucket (AWS, MinIO, Ceph, R2, s3rver …).</summary>
internal sealed class S3StorageOptions
{
    /// <summary>The endpoint, e.g. <c>http://127.0.0.1:9000</c>; empty means AWS itself in <see cref="Region"/>.</summary>
    public string? ServiceUrl { get; set; }

    public string Bucket { get; set; } = "";

    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    public string Region { get; set; } = "us-east-1";

    /// <summary><c>http://host/bucket/key</c> instead of <c>http://bucket.host/key</c>: what MinIO-style servers want.</summary>
    public bool ForcePathStyle { get; set; }

    /// <summary>
    /// <c>/content</c> answers with a redirect to a presigned GET of the object (valid <see cref="RedirectValidity"/>)
    /// instead of streaming it through this node. Clients must be able to reach the bucket's address.
    /// </summary>
    public bool RedirectDownloads { get; set; }

    public TimeSpan RedirectValidity { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Files larger than this are uploaded in parts of this size (multipart upload).</summary>
    public long PartSizeBytes { get; set; } = 16L * 1024 * 1024;
}
