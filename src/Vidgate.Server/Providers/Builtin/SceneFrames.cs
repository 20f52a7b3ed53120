using System.Buffers;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// Draws the frames of a text scene (layers moved by the camera, effects, the label) as raw BGRA and writes them in
/// order to a stream (ffmpeg's stdin). Frames are drawn on several threads while the previous ones are being written
/// and encoded, so drawing and encoding overlap; at most a few frames are in memory at once.
/// </summary>
internal sealed class SceneFrames : IDisposable
{
    private readonly Scene _scene;
    private readonly SceneGeometry _g;
    private readonly SceneLayers _layers;
    private readonly SceneEffects _effects;
    private readonly SKImage? _label;
    private readonly int _frames;
    private readonly SKImageInfo _info;

    public SceneFrames(Scene scene, int width, int height, int frames, bool label)
    {
        (_scene, _frames) = (scene, frames);
        _g = new SceneGeometry(width, height);
        _info = new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Premul);
        _layers = ScenePainter.Paint(scene, _g);
        _effects = new SceneEffects(scene, width, height);
        _label = label ? PreviewLabel.Create(Math.Min(width, height)) : null;
    }

    /// <summary>The ffmpeg input format of what <see cref="WriteAsync"/> writes.</summary>
    public string PixelFormat => "bgra";

    public int FrameBytes => _info.BytesSize;

    public async Task WriteAsync(Stream output, CancellationToken ct)
    {
        // Two frames in flight per core: one drawing, one waiting for the pipe.
        var ahead = Math.Clamp(Environment.ProcessorCount, 1, 4) + 1;
        var pending = new Queue<Task<byte[]>>();
        var next = 0;
        try
        {
            while (next < _frames || pending.Count > 0)
            {
                while (next < _frames && pending.Count < ahead)
                {
                    var frame = next++;
                    pending.Enqueue(Task.Run(() => Render(frame), ct));
                }
                var buffer = await pending.Dequeue();
                try
                {
                    await output.WriteAsync(buffer.AsMemory(0, FrameBytes), ct);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
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
                    ArrayPool<byte>.Shared.Return(await pending.Dequeue());
                }
                catch (OperationCanceledException)
                {
                    // Never started.
                }
            }
        }
    }

    /// <summary>One frame as BGRA bytes (a pooled buffer of at least <see cref="FrameBytes"/>).</summary>
    public byte[] Render(int frame)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(FrameBytes);
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

    private void Draw(SKCanvas c, int frame)
    {
        var pose = SceneCamera.At(_scene, _g, frame, _frames);
        var sampling = new SKSamplingOptions(SKFilterMode.Linear);
        var first = true;
        foreach (var (image, parallax) in _layers.Layers)
        {
            c.SetMatrix(SceneCamera.Layer(pose, _g, parallax));
            // The sky is opaque: copying it (no blending) is the cheapest way to start a frame.
            using var paint = new SKPaint { BlendMode = first ? SKBlendMode.Src : SKBlendMode.SrcOver };
            c.DrawImage(image, 0, 0, sampling, paint);
            first = false;
        }
        var seconds = frame / (float)BuiltinOptions.Fps;
        if (_layers.Rays is { } rays)
        {
            c.SetMatrix(SceneCamera.Layer(pose, _g, 0.7f));
            var breathe = 0.75f + (0.25f * MathF.Sin(seconds * 1.3f));
            using var paint = new SKPaint { BlendMode = SKBlendMode.Screen, Color = SKColors.White.WithAlpha((byte)(255 * breathe)) };
            c.DrawImage(rays, 0, 0, sampling, paint);
        }
        c.ResetMatrix();
        _effects.Draw(c, seconds);
        if (_layers.Overlay is { } overlay)
        {
            c.DrawImage(overlay, 0, 0, sampling, null);
        }
        if (_label is not null)
        {
            var at = PreviewLabel.Position(_label, _info.Width, _info.Height);
            c.DrawImage(_label, at.X, at.Y, sampling, null);
        }
    }

    public void Dispose()
    {
        _layers.Dispose();
        _label?.Dispose();
    }
}
