using System.Runtime.InteropServices;
using SkiaSharp;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// The thumbnail (the middle frame, WebP, at most 1280 wide) and the 5×5 spritesheet (25 evenly spaced frames 160 wide,
/// JPEG) of a text scene, made from the frames <see cref="SceneFrames"/> already drew on their way to ffmpeg. Making
/// them in ffmpeg cost a second run (the tile), a wasted WebP of frame 0 and preview branches in the encode's filter
/// graph, all on the two cores x264 needs; here it is a few small scaled copies, and the WebP is encoded on its own
/// thread while the second half of the clip is still being drawn. Sizes and frame choice are those of
/// <see cref="SceneGraph.Previews"/>, so the API serves the same images either way.
/// </summary>
internal sealed class ScenePreviews(int width, int height, int frames, string thumbnailPath, string spritesheetPath) : IDisposable
{
    private const int SheetColumns = 5;
    private const int SheetCells = SheetColumns * SheetColumns;
    private const int SheetCellWidth = 160;
    private const int MaxThumbnailWidth = 1280;
    private const int WebpQuality = 80;

    // ffmpeg's -q:v 4 for MJPEG is about this quality.
    private const int JpegQuality = 85;

    private static readonly SKSamplingOptions Down = new(SKFilterMode.Linear, SKMipmapMode.Linear);
    private static readonly SKSamplingOptions Up = new(SKFilterMode.Linear);

    private readonly int _cellHeight = EvenScaled(SheetCellWidth, width, height);
    private SKSurface? _sheet;
    private int _cells;
    private Task? _thumbnail;
    private Task? _spritesheet;

    /// <summary>Looks at frame <paramref name="frame"/> (BGRA, premultiplied, <paramref name="info"/>) before its buffer is reused.</summary>
    public void Take(int frame, byte[] pixels, SKImageInfo info)
    {
        var thumbnail = frame == frames / 2;
        // The frames ffmpeg's select took: lt(mod(n*25, frames), 25), i.e. 25 evenly spaced ones (every frame when fewer).
        var sheet = (long)frame * SheetCells % frames < SheetCells && _cells < SheetCells;
        if (!thumbnail && !sheet)
        {
            return;
        }

        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            using var image = SKImage.FromPixels(info, handle.AddrOfPinnedObject(), info.RowBytes)
                ?? throw new RenderFailedException("could not read a frame for the previews");
            if (sheet)
            {
                _sheet ??= Surface(SheetColumns * SheetCellWidth, SheetColumns * _cellHeight, SKColors.Black);
                var cell = _cells++;
                var at = SKRect.Create(cell % SheetColumns * SheetCellWidth, cell / SheetColumns * _cellHeight, SheetCellWidth, _cellHeight);
                _sheet.Canvas.DrawImage(image, at, Down);
                if (_cells == SheetCells)
                {
                    // The last cell comes a few frames before the end: encoded while x264 finishes.
                    _spritesheet = WriteSheetAsync();
                }
            }

            if (thumbnail)
            {
                var thumbWidth = Math.Min(MaxThumbnailWidth, width);
                using var surface = Surface(thumbWidth, EvenScaled(thumbWidth, width, height), SKColors.Black);
                surface.Canvas.DrawImage(image, SKRect.Create(thumbWidth, EvenScaled(thumbWidth, width, height)), thumbWidth < info.Width ? Down : Up);
                var still = surface.Snapshot();
                // Encoding a 1280×720 WebP takes tens of milliseconds: off the writer's thread, while later frames are drawn.
                _thumbnail = Task.Run(() =>
                {
                    using (still)
                    {
                        Write(still, SKEncodedImageFormat.Webp, WebpQuality, thumbnailPath);
                    }
                });
            }
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary>Waits until both files are written (a clip of fewer than 25 frames leaves the last cells black).</summary>
    public async Task FinishAsync()
    {
        if (_thumbnail is null || _sheet is null)
        {
            throw new RenderFailedException("the clip ended before its preview frames");
        }

        _spritesheet ??= WriteSheetAsync();
        await Task.WhenAll(_thumbnail, _spritesheet);
    }

    private Task WriteSheetAsync()
    {
        var sheet = _sheet!.Snapshot();
        return Task.Run(() =>
        {
            using (sheet)
            {
                Write(sheet, SKEncodedImageFormat.Jpeg, JpegQuality, spritesheetPath);
            }
        });
    }

    public void Dispose()
    {
        _sheet?.Dispose();
        // A render that failed half way may still be encoding a preview: let it end before the folder goes.
        try
        {
            Task.WaitAll([_thumbnail ?? Task.CompletedTask, _spritesheet ?? Task.CompletedTask]);
        }
        catch (AggregateException)
        {
            // The render already failed; that is the error reported.
        }
    }

    // ffmpeg's scale=W:-2: the other side kept in proportion, rounded to the nearest even number.
    private static int EvenScaled(int newWidth, int width, int height) =>
        Math.Max(2, (int)Math.Round(newWidth * (double)height / (width * 2.0), MidpointRounding.AwayFromZero) * 2);

    private static SKSurface Surface(int width, int height, SKColor background)
    {
        var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Premul))
            ?? throw new RenderFailedException("could not allocate a preview image");
        surface.Canvas.Clear(background);
        return surface;
    }

    private static void Write(SKImage image, SKEncodedImageFormat format, int quality, string path)
    {
        using var data = image.Encode(format, quality)
            ?? throw new RenderFailedException($"could not encode the {format} preview");
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
