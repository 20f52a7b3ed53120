namespace Vidgate.Server.Kernel;

/// <summary>Private local folders of renders and downloads, under <see cref="VidgateOptions.WorkRoot"/>.</summary>
internal static class WorkFolders
{
    /// <summary>Best effort: what cannot be removed now (already gone, still open) goes with the next start's clean-up.</summary>
    public static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // DirectoryNotFoundException included: already gone is fine.
        }
    }
}
