using System.Net;
using System.Net.Http.Headers;
using Amazon.S3;
using Vidgate.Server.Storage;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Storage;

/// <summary>The whole server on an S3 bucket: a rendered video lands in the bucket, /content streams it with Range or redirects to it.</summary>
public sealed class S3StorageAppTests : IAsyncLifetime
{
    private S3rverServer _s3 = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _s3 = await S3rverServer.StartAsync();

    public async ValueTask DisposeAsync() => await _s3.DisposeAsync();

    [Fact]
    public async Task A_rendered_video_is_stored_in_the_bucket_and_served_from_it_with_ranges_and_the_data_dir_keeps_no_results()
    {
        await using var app = new VidgateApp(settings: _s3.Settings());
        var client = app.Admin();
        var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "a lighthouse at dusk, slow zoom in", seconds = "2", resolution = "480P" });
        var id = created.GetProperty("id").GetString()!;
        await client.WaitForAsync(id, "completed");

        using var s3 = StorageExtensions.CreateClient(new S3StorageOptions { ServiceUrl = _s3.Url, AccessKey = S3rverServer.AccessKey, SecretKey = S3rverServer.SecretKey, ForcePathStyle = true });
        var inBucket = await ObjectBytesAsync(s3, $"videos/{id}/video.mp4");
        Assert.True(inBucket.Length > 1000, "the video is in the bucket");
        Assert.NotEmpty(await ObjectBytesAsync(s3, $"videos/{id}/thumbnail.webp"));
        Assert.NotEmpty(await ObjectBytesAsync(s3, $"videos/{id}/spritesheet.jpg"));

        // The bytes served are the bytes in the bucket, whole and in ranges.
        Assert.Equal(inBucket, await client.GetByteArrayAsync($"/v1/videos/{id}/content", Ct));
        using var range = new HttpRequestMessage(HttpMethod.Get, $"/v1/videos/{id}/content");
        range.Headers.Range = new RangeHeaderValue(100, 299);
        using var partial = await client.SendAsync(range, Ct);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(inBucket.AsSpan(100, 200).ToArray(), await partial.Content.ReadAsByteArrayAsync(Ct));
        using var tail = new HttpRequestMessage(HttpMethod.Get, $"/v1/videos/{id}/content");
        tail.Headers.Range = new RangeHeaderValue(inBucket.Length - 10, null);
        using var tailResponse = await client.SendAsync(tail, Ct);
        Assert.Equal(inBucket[^10..], await tailResponse.Content.ReadAsByteArrayAsync(Ct));

        // No results on the node's disk: nothing under blobs/, no work folders left.
        Assert.Empty(FilesUnder(Path.Combine(app.DataDir, "blobs")));
        Assert.Empty(FilesUnder(Path.Combine(app.DataDir, "work")));

        // Deleting the video deletes its objects.
        (await client.DeleteAsync($"/v1/videos/{id}", Ct)).EnsureSuccessStatusCode();
        var listed = await s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = _s3.Bucket, Prefix = $"videos/{id}/" }, Ct);
        Assert.Empty(listed.S3Objects ?? []);
    }

    [Fact]
    public async Task With_redirects_on_content_answers_with_a_presigned_link_to_the_same_bytes()
    {
        await using var app = new VidgateApp(settings: _s3.Settings(redirectDownloads: true));
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", VidgateApp.AdminKey);
        var created = await client.CreateAsync(new { model = "grok-imagine-video", prompt = "waves on a beach, pan left", seconds = "1", resolution = "480P" });
        var id = created.GetProperty("id").GetString()!;
        await client.WaitForAsync(id, "completed");

        using var response = await client.GetAsync($"/v1/videos/{id}/content", Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith(_s3.Url, location.AbsoluteUri, StringComparison.Ordinal);
        using var plain = new HttpClient();
        var bytes = await plain.GetByteArrayAsync(location, Ct);
        Assert.True(bytes.Length > 1000);
        Assert.Equal("ftyp", System.Text.Encoding.ASCII.GetString(bytes, 4, 4));
    }

    [Fact]
    public async Task A_server_whose_bucket_is_unusable_exits_at_start_with_one_clear_line()
    {
        var data = Directory.CreateTempSubdirectory("vidgate-s3-bad-").FullName;
        var settings = _s3.Settings();
        settings["Vidgate:Storage:S3:Bucket"] = "missing-bucket";
        var args = settings.Select(s => $"--{s.Key}={s.Value}").ToArray();

        var (exitCode, output) = await ServerProcess.RunToExitAsync(data, TimeSpan.FromSeconds(60), args);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("bucket 'missing-bucket'", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal); // no stack trace
    }

    private async Task<byte[]> ObjectBytesAsync(AmazonS3Client s3, string key)
    {
        using var response = await s3.GetObjectAsync(_s3.Bucket, key, Ct);
        using var copy = new MemoryStream();
        await response.ResponseStream.CopyToAsync(copy, Ct);
        return copy.ToArray();
    }

    private static IEnumerable<string> FilesUnder(string folder)
        => Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories) : [];
}
