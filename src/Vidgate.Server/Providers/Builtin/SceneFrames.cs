using System.Buffers;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// Draws the frames of a text scene (layers moved by the camera, effects, the label) in BGRA and writes them in order
/// to a stream (ffmpeg's stdin) as I420 (<see cref="I420"/>). Frames are drawn and converted on several threads while
/// the previous ones are being written and encoded, so drawing and encoding overlap; at most a few frames are in
/// memory at once.
/// </summary>
internal sealed class SceneFrames : IDisposable
{
    private readonly Scene _scene;
    private readonly SceneGeometry _g;
    private readonly SceneLayers _layers;
    private readonly SceneZoomLevels?[] _levels;
    private readonly SceneEffects _effects;
    private readonly SKImage? _label;
    private readonly int _frames;
    private readonly SKImageInfo _info;

    // Layers moved at least this much by the camera travel with it: sampled smoothly, not by the nearest pixel.
    private const float Travelling = 0.5f;

    public SceneFrames(Scene scene, int width, int height, int frames, bool label)
    {
        (_scene, _frames) = (scene, frames);
        _g = new SceneGeometry(width, height);
        _info = new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Premul);
        _layers = ScenePainter.Paint(scene, _g);
        _levels = [.. _layers.Layers.Select(Levels)];
        _effects = new SceneEffects(scene, width, height);
        _label = label ? PreviewLabel.Create(Math.Min(width, height)) : null;
    }

    /// <summary>The ffmpeg input format of what <see cref="Write"/> writes.</summary>
    public const string PixelFormat = "yuv420p";

    // Bytes of one frame as written.
    private int FrameBytes => I420.Size(_info.Width, _info.Height);

    /// <summary>
    /// Writes every frame in order; <paramref name="previews"/>, if given, sees each one after it went out. Blocking: run
    /// it on a thread of its own (the frames are drawn on the thread pool meanwhile).
    /// </summary>
    public void Write(Stream output, ScenePreviews? previews, CancellationToken ct)
    {
        // Two frames in flight per core: one drawing, one waiting for the pipe.
        var ahead = Math.Clamp(Environment.ProcessorCount, 1, 4) + 1;
        var pending = new Queue<Task<Frame>>();
        var next = 0;
        try
        {
            while (next < _frames || pending.Count > 0)
            {
                while (next < _frames && pending.Count < ahead)
                {
                    var frame = next++;
                    pending.Enqueue(Task.Run(() => Drawn(frame), ct));
                }
                var index = next - pending.Count;
                var drawn = pending.Dequeue().GetAwaiter().GetResult();
                try
                {
                    ct.ThrowIfCancellationRequested();
                    output.Write(drawn.I420, 0, FrameBytes);
                    previews?.Take(index, drawn.Bgra, _info);
                }
                finally
                {
                    drawn.Return();
                }
            }
        }
        finally
        {
            // Cancelled or failed: let the frames being drawn finish and give their buffers back.
            while (pending.Count > 0)
            {
                try
                {
                    pending.Dequeue().GetAwaiter().GetResult().Return();
                }
                catch (OperationCanceledException)
                {
                    // Never started.
                }
            }
        }
    }

    /// <summary>One frame as BGRA bytes (a pooled buffer of at least <see cref="SKImageInfo.BytesSize"/>).</summary>
    private byte[] Render(int frame)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_info.BytesSize);
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            using var surface = SKSurface.Create(_info, handle.AddrOfPinnedObject(), _info.RowBytes)
                ?? throw new RenderFailedException("could not draw a frame");
            Draw(surface.Canvas, frame);
            surface.Flush();
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        finally
        {
            handle.Free();
        }
        return buffer;
    }

    // Drawn, then converted on the same thread: the writer only copies bytes into the pipe.
    private Frame Drawn(int frame)
    {
        var bgra = Render(frame);
        var i420 = ArrayPool<byte>.Shared.Rent(FrameBytes);
        I420.FromBgra(bgra, _info.Width, _info.Height, _info.RowBytes, i420);
        return new Frame(bgra, i420);
    }

    /// <summary>A frame in both forms: BGRA for the previews, I420 for ffmpeg (pooled buffers).</summary>
    private sealed record Frame(byte[] Bgra, byte[] I420)
    {
        public void Return()
        {
            ArrayPool<byte>.Shared.Return(Bgra);
            ArrayPool<byte>.Shared.Return(I420);
        }
    }

    private void Draw(SKCanvas c, int frame)
    {
        var pose = SceneCamera.At(_scene, _g, frame, _frames);
        using var over = new SKPaint();
        for (var i = 0; i < _layers.Layers.Count; i++)
        {
            var layer = _layers.Layers[i];
            var matrix = SceneCamera.Layer(pose, _g, layer.Parallax);
            if (_levels[i] is { } levels && IsZoom(matrix))
            {
                levels.Draw(c, matrix, over);
                continue;
            }
            // Bilinear sampling is most of a frame's cost. The sky and the far layer move and zoom so little that
            // nearest sampling cannot be told apart there; the middle and near layers, which travel, get it.
            DrawLayer(c, layer, matrix, over, smooth: layer.Parallax >= Travelling);
        }
        var seconds = frame / (float)BuiltinOptions.Fps;
        if (_layers.Rays is { } rays)
        {
            var breathe = 0.75f + (0.25f * MathF.Sin(seconds * 1.3f));
            // Plain alpha blending of a light colour, not a screen blend: it looks alike and costs a tenth. The shafts
            // are blurred, so nearest sampling shows no steps either.
            using var paint = new SKPaint { Color = SKColors.White.WithAlpha((byte)(255 * breathe)) };
            DrawLayer(c, rays, SceneCamera.Layer(pose, _g, rays.Parallax), paint, smooth: false);
        }
        c.ResetMatrix();
        _effects.Draw(c, seconds);
        var copy = new SKSamplingOptions(SKFilterMode.Nearest);
        if (_layers.Overlay is { } overlay)
        {
            c.DrawImage(overlay, 0, 0, copy, null);
        }
        if (_label is not null)
        {
            var at = PreviewLabel.Position(_label, _info.Width, _info.Height);
            c.DrawImage(_label, at.X, at.Y, copy, null);
        }
    }

    // The travelling layers of a camera that zooms are drawn from pre-scaled copies (SceneZoomLevels).
    private SceneZoomLevels? Levels(SceneLayer layer)
    {
        if (layer.Parallax < Travelling)
        {
            return null;
        }
        var most = Enumerable.Range(0, _frames).Max(f => SceneCamera.Layer(SceneCamera.At(_scene, _g, f, _frames), _g, layer.Parallax).ScaleX);
        return most > 1 ? new SceneZoomLevels(layer, most) : null;
    }

    // A uniform magnification and a shift, nothing else (a handheld roll turns the image: drawn bilinearly as before).
    private static bool IsZoom(SKMatrix m) =>
        m.SkewX == 0 && m.SkewY == 0 && m.ScaleX == m.ScaleY && m.ScaleX > 1 && m.Persp0 == 0 && m.Persp1 == 0 && m.Persp2 == 1;

    // Only the layer's non-empty tiles are drawn. A pure translation (pans, tilts, a static or handheld camera without
    // roll) is snapped to whole pixels and copied without resampling: several times cheaper than bilinear sampling.
    private static void DrawLayer(SKCanvas c, SceneLayer layer, SKMatrix matrix, SKPaint paint, bool smooth)
    {
        var translation = matrix.ScaleX == 1 && matrix.ScaleY == 1 && matrix.SkewX == 0 && matrix.SkewY == 0;
        if (translation)
        {
            matrix = SKMatrix.CreateTranslation(MathF.Round(matrix.TransX), MathF.Round(matrix.TransY));
        }
        var sampling = new SKSamplingOptions(smooth && !translation ? SKFilterMode.Linear : SKFilterMode.Nearest);
        c.SetMatrix(matrix);
        foreach (var tile in layer.Tiles)
        {
            c.DrawImage(layer.Image, tile, tile, sampling, paint);
        }
    }

    public void Dispose()
    {
        foreach (var levels in _levels)
        {
            levels?.Dispose();
        }
        _layers.Dispose();
        _label?.Dispose();
    }
}
