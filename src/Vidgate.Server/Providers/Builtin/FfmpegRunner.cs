using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>A finished ffmpeg run: the last frame count of <c>-progress</c> and the last stderr lines.</summary>
internal sealed record FfmpegResult(long Frames, string StderrTail);

/// <summary>
/// Runs ffmpeg as a child process. Arguments go through <see cref="ProcessStartInfo.ArgumentList"/>, so no
/// shell and no quoting ever sees them. Cancellation kills the whole process tree and waits for it to exit.
/// </summary>
internal sealed partial class FfmpegRunner(IOptions<BuiltinOptions> options, ILogger<FfmpegRunner> logger)
{
    private const int StderrTailLines = 20;

    /// <summary>
    /// Runs ffmpeg with <paramref name="arguments"/> (common flags are added here) and returns the last frame
    /// count it reported with its stderr tail. <paramref name="onFrame"/> receives the frame counter of <c>-progress</c>.
    /// </summary>
    /// <exception cref="RenderFailedException">ffmpeg could not start or exited non-zero; the message holds its stderr tail.</exception>
    public Task<FfmpegResult> RunAsync(IReadOnlyList<string> arguments, Action<long>? onFrame, CancellationToken ct) =>
        RunAsync(arguments, null, onFrame, ct);

    /// <summary>
    /// As above, with <paramref name="input"/> writing ffmpeg's stdin (closed when it returns or fails). The writer runs
    /// on a thread of its own and writes with blocking calls into a pipe grown to <see cref="PipeBuffer.Size"/>: async
    /// writes into the default 64 KiB pipe cost two to three times the CPU (a wake-up of the socket engine and a thread
    /// pool hop per 64 KiB), taken from the cores x264 needs.
    /// </summary>
    /// <remarks>
    /// If ffmpeg exits early the writer sees a broken pipe; that is not the error to report, ffmpeg's exit code and stderr
    /// are. Any other failure of the writer is rethrown once ffmpeg has exited (it sees the end of its input and stops).
    /// A cancelled run kills ffmpeg, which breaks a write that is blocked on the pipe.
    /// </remarks>
    public async Task<FfmpegResult> RunAsync(
        IReadOnlyList<string> arguments, Action<Stream, CancellationToken>? input, Action<long>? onFrame, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var start = new ProcessStartInfo(options.Value.FfmpegPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            CreateNoWindow = true,
        };
        foreach (var flag in (string[])["-hide_banner", "-nostdin", "-nostats", "-v", "warning", "-progress", "pipe:1", "-stats_period", "0.25"])
        {
            start.ArgumentList.Add(flag);
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new RenderFailedException($"ffmpeg could not be started ({options.Value.FfmpegPath}): {e.Message}");
        }
        Log.Started(logger, process.Id, arguments.Count);

        var tail = new Queue<string>();
        long frames = 0;
        var stdout = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync(CancellationToken.None) is { } line)
            {
                if (line.StartsWith("frame=", StringComparison.Ordinal)
                    && long.TryParse(line.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var frame))
                {
                    frames = frame;
                    onFrame?.Invoke(frame);
                }
            }
        }, CancellationToken.None);
        var stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(CancellationToken.None) is { } line)
            {
                lock (tail)
                {
                    tail.Enqueue(line);
                    if (tail.Count > StderrTailLines)
                    {
                        tail.Dequeue();
                    }
                }
            }
        }, CancellationToken.None);

        var feed = input is null ? Task.CompletedTask : FeedAsync(process.StandardInput.BaseStream, input, ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            // Wait (not cancellable) so no ffmpeg outlives the render that owned it.
            await process.WaitForExitAsync(CancellationToken.None);
            await Task.WhenAll(stdout, stderr);
            await Quietly(feed);
            Log.Killed(logger, process.Id);
            throw;
        }
        await Task.WhenAll(stdout, stderr);
        if (process.ExitCode != 0)
        {
            await Quietly(feed);
        }
        else
        {
            await feed;
        }

        if (process.ExitCode != 0)
        {
            throw new RenderFailedException($"ffmpeg exited with code {process.ExitCode}: {Tail(tail)}");
        }
        return new FfmpegResult(frames, Tail(tail));
    }

    private static async Task FeedAsync(Stream stdin, Action<Stream, CancellationToken> input, CancellationToken ct)
    {
        try
        {
            PipeBuffer.TryGrow(stdin);
            // A thread of its own: the writer blocks on the pipe (and on the frames being drawn) for the whole run.
            await Task.Factory.StartNew(() => input(stdin, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (IOException)
        {
            // ffmpeg closed its end (it exited); its exit code and stderr say why.
        }
        finally
        {
            try
            {
                await stdin.DisposeAsync();
            }
            catch (IOException)
            {
                // Same: the pipe is already broken.
            }
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // The run already failed or was cancelled; that is the error reported.
        }
    }

    /// <summary>The first line of <c>ffmpeg -version</c>, or null when ffmpeg cannot be started.</summary>
    public async Task<string?> ProbeVersionAsync(CancellationToken ct)
    {
        var start = new ProcessStartInfo(options.Value.FfmpegPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        start.ArgumentList.Add("-version");
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            Log.NotStartable(logger, options.Value.FfmpegPath, e.Message);
            return null;
        }
        try
        {
            var first = await process.StandardOutput.ReadLineAsync(ct);
            // Drain the rest so ffmpeg never blocks on a full pipe.
            await process.StandardOutput.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return process.ExitCode == 0 ? first : null;
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
            throw;
        }
    }

    /// <summary>Last stderr lines joined for an error message.</summary>
    private static string Tail(Queue<string> tail)
    {
        lock (tail)
        {
            return tail.Count == 0 ? "(no output)" : string.Join('\n', tail);
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited between the cancellation and the kill.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "ffmpeg started as pid {Pid} with {Count} arguments")]
        public static partial void Started(ILogger logger, int pid, int count);

        [LoggerMessage(Level = LogLevel.Information, Message = "ffmpeg pid {Pid} killed on cancellation")]
        public static partial void Killed(ILogger logger, int pid);

        [LoggerMessage(Level = LogLevel.Warning, Message = "ffmpeg at {Path} cannot be started: {Reason}")]
        public static partial void NotStartable(ILogger logger, string path, string reason);
    }
}
