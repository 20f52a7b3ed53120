using Vidgate.Server.Providers;
using Vidgate.Server.Storage;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>A task's stored reference images, read for a submit (local or remote).</summary>
internal sealed class TaskImages(IBlobStore blobs)
{
    public async Task<IReadOnlyList<UpstreamImage>> LoadAsync(VideoTask task, CancellationToken ct)
    {
        var images = new List<UpstreamImage>(task.InputKeys.Count);
        foreach (var key in task.InputKeys)
        {
            if (await blobs.OpenReadAsync(key, ct) is not { } blob)
            {
                continue;
            }

            await using var stream = blob.Stream;
            using var buffer = new MemoryStream((int)blob.Length);
            await stream.CopyToAsync(buffer, ct);
            images.Add(new UpstreamImage(buffer.ToArray(), Path.GetExtension(key).ToLowerInvariant() switch
            {
                ".png" => "image/png",
                ".webp" => "image/webp",
                _ => "image/jpeg",
            }));
        }

        return images;
    }
}
