using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Vidgate.Server.Storage;

namespace Vidgate.Tests.Storage;

/// <summary>The blob store contract on the filesystem store, in a temp data folder of its own.</summary>
public sealed partial class FileBlobStoreContractTests : BlobStoreContract
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("vidgate-blobs-").FullName;

    public FileBlobStoreContractTests() => Store = new FileBlobStore(Options.Create(new VidgateOptions { DataDir = _dataDir }));

    private protected override IBlobStore Store { get; }

    // The store owns {DataDir}/blobs and nothing else; temp files of a finished put are gone too.
    private protected override IEnumerable<string> Strays()
        => Directory.GetFileSystemEntries(_dataDir).Where(e => Path.GetFileName(e) != "blobs")
            .Concat(Directory.EnumerateFiles(Path.Combine(_dataDir, "blobs"), "*", SearchOption.AllDirectories).Where(f => TempName().IsMatch(f)));

    [GeneratedRegex(@"\.tmp-[0-9a-f]{32}$")]
    private static partial Regex TempName();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }
}
