using Vidgate.Server.Providers.Media;
using Vidgate.Server.Storage;
using Vidgate.Server.Tasks;

namespace Vidgate.Server.Workers;

/// <summary>
/// A task's video stored by an earlier attempt that was stopped (a node killed) between storing it and completing the
/// task. The re-run completes the task with it instead of making and storing the result a second time, but only when
/// it is a whole, playable video: an S3-compatible server may keep the part of an upload that a kill cut off (s3rver
/// does), and such a remnant must be made again, not served.
/// </summary>
internal static class StoredResult
{
    /// <summary>Copies the stored video to <paramref name="localPath"/> and answers true when it is whole and playable.</summary>
    public static async Task<bool> TryCopyAsync(IBlobStore blobs, string taskId, string localPath, CancellationToken ct)
    {
        try
        {
            await blobs.CopyToFileAsync(TaskBlobs.Video(taskId), localPath, ct);
        }
        catch (FileNotFoundException)
        {
            return false;
        }

        if ((await VideoCheck.InspectAsync(localPath, ct)).Problem is null)
        {
            return true;
        }

        File.Delete(localPath);
        return false;
    }
}
