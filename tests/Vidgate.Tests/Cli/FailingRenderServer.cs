using Vidgate.Tests.Client;

namespace Vidgate.Tests.Cli;

/// <summary>
/// A real server whose ffmpeg answers <c>-version</c> (so the server is ready) and fails every render, the way a broken
/// codec or a full disk does: every video it is given ends <c>failed</c> with <c>render_failed</c>.
/// </summary>
public sealed class FailingRenderServer : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vidgate-failing-ffmpeg-").FullName;

    public ClientServer Inner { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var script = Path.Combine(_dir, "ffmpeg");
        await File.WriteAllTextAsync(script, """
            #!/bin/sh
            if [ "$1" = "-version" ]; then exec /usr/bin/ffmpeg -version; fi
            echo "simulated encoder failure" >&2
            exit 1
            """.ReplaceLineEndings("\n"));
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the failing ffmpeg is a POSIX shell script");
        }

        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Inner = new ClientServer { Args = [$"--Providers:Builtin:FfmpegPath={script}"] };
        await Inner.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Inner is not null)
        {
            await Inner.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }
}
