using System.Diagnostics;
using Vidgate.Server.Providers.Builtin;

namespace Vidgate.Tests.Providers.Builtin;

/// <summary>The renderer's pipe into ffmpeg is grown to hold a whole frame; anything that is not a pipe is left alone.</summary>
public sealed class PipeBufferTests
{
    [Fact]
    public async Task A_child_process_stdin_grows_to_one_mebibyte_and_still_carries_every_byte()
    {
        var start = new ProcessStartInfo("wc") { RedirectStandardInput = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        using var process = Process.Start(start)!;

        Assert.True(PipeBuffer.TryGrow(process.StandardInput.BaseStream));
        var frame = new byte[PipeBuffer.Size - 1];
        process.StandardInput.BaseStream.Write(frame);
        process.StandardInput.Close();
        var counted = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(frame.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), counted.Trim());
    }

    [Fact]
    public void A_stream_that_is_not_a_pipe_is_refused()
    {
        using var memory = new MemoryStream();

        Assert.False(PipeBuffer.TryGrow(memory));
    }
}
