using System.IO.Pipes;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// Grows a pipe's kernel buffer from Linux's default 64 KiB to 1 MiB (<c>F_SETPIPE_SZ</c>, the default
/// <c>/proc/sys/fs/pipe-max-size</c>), so a whole 640×360 BGRA frame (900 KiB) goes to ffmpeg in one write and one
/// wake-up of its reader instead of fifteen. Measured writing a render's 192 frames into ffmpeg from .NET: 130–200 ms of
/// the writer's CPU with 64 KiB and async writes, 40–60 ms with 1 MiB and blocking writes on a thread of its own
/// (docs/preview-renderer.md, "fourth round"). Anything else (another OS, a lower limit, no libc) keeps the default.
/// </summary>
internal static class PipeBuffer
{
    public const int Size = 1 << 20;

    private const int SetPipeSize = 1031; // F_SETPIPE_SZ, linux/fcntl.h

    public static bool TryGrow(Stream stream)
    {
        if (!OperatingSystem.IsLinux() || stream is not PipeStream pipe)
        {
            return false;
        }
        try
        {
            return Fcntl(pipe.SafePipeHandle, SetPipeSize, Size) >= 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // DllImport, not LibraryImport: the generated marshalling needs unsafe code, which this project does not allow.
    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(SafePipeHandle fd, int command, int argument);
}
