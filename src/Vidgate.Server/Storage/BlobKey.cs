namespace Vidgate.Server.Storage;

/// <summary>
/// The shape every blob key has ("videos/{id}/video.mp4"): '/'-separated segments, none empty, "." or "..", no
/// backslash or control character. Anything else is refused rather than normalised, because a normalised key can name
/// another blob ("a//b" is "a/b" on disk) or a place outside the store; S3 will hold the same keys unchanged.
/// </summary>
internal static class BlobKey
{
    public static string Checked(string key)
    {
        if (key.Length == 0 || key.Split('/').Any(BadSegment))
        {
            throw new ArgumentException($"Invalid blob key '{key}'.", nameof(key));
        }

        return key;
    }

    /// <summary>The key of the folder a delete prefix names: "videos/{id}/" → "videos/{id}"; only such prefixes are allowed.</summary>
    public static string FolderOf(string prefix)
    {
        if (!prefix.EndsWith('/'))
        {
            throw new ArgumentException($"Invalid blob prefix '{prefix}': a prefix is a folder and ends with '/'.", nameof(prefix));
        }

        var folder = Checked(prefix[..^1]);
        if (!folder.Contains('/', StringComparison.Ordinal))
        {
            // "videos/" would be every task's videos; the store only ever deletes one task's folder.
            throw new ArgumentException($"Invalid blob prefix '{prefix}': it names a whole top-level folder.", nameof(prefix));
        }

        return folder;
    }

    private static bool BadSegment(string segment)
        => segment.Length == 0 || segment == "." || segment == ".." || segment.Any(c => c == '\\' || char.IsControl(c));
}
