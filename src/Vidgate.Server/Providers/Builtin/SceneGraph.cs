using System.Globalization;

namespace Vidgate.Server.Providers.Builtin;

/// <summary>
/// Builds ffmpeg filter graphs. Only numbers and our own palette literals go in here, never user text,
/// so no escaping is ever needed. Every graph ends in the label <c>[v]</c>.
/// </summary>
internal static class SceneGraph
{
    // The camera moves over a canvas this much larger than the frame, so pans and zooms never show an edge.
    private const double Margin = 1.3;

    // Crossfade between image segments: half a second, shorter when segments are short.
    private const int MaxCrossfadeFrames = 12;

    /// <summary>
    /// Procedural scene: one still canvas (gradient sky, a soft light, cloud texture, glowing dust,
    /// vignette) is composed once at quarter resolution, scaled up once and looped; the camera move is the
    /// only per-frame work. That keeps filtering nearly free and lets x264 find exact motion vectors,
    /// which is what holds the render near a plain testsrc2 encode.
    /// </summary>
    public static string Text(ScenePlan plan, int width, int height, int frames)
    {
        // Zooms resample the whole frame every frame (zoompan builds a new scaler for each one). The backdrop is
        // drawn at quarter size and soft, so a camera at half size, scaled up with one reused scaler, looks the
        // same and costs a fraction. Crops (pans, tilts, orbit) copy no pixels and stay at full size.
        var zooms = plan.Motion is CameraMotion.PushIn or CameraMotion.PullOut;
        var (sw, sh) = zooms ? (Even(width / 2.0), Even(height / 2.0)) : (width, height);
        var (cw, ch) = Canvas(sw, sh, plan.Motion);
        var scale = zooms ? 2 : 1;
        var (lw, lh) = (Even(cw * scale / 4.0), Even(ch * scale / 4.0));
        var p = plan.Palette;
        var s = plan.Seed;
        // Gradient axis mostly top to bottom (reads as sky over ground), tilted by the seed.
        var gx0 = (int)(lw * (0.15 + (0.3 * Unit(s, 0))));
        var gx1 = (int)(lw * (0.55 + (0.3 * Unit(s, 1))));
        var lx = (int)(lw * (0.2 + (0.6 * Unit(s, 2))));
        var ly = (int)(lh * (0.25 + (0.5 * Unit(s, 3))));
        var noiseSeed = (int)(s & 0x7FFFFFFF);
        var colours = p.Count >= 4
            ? $"c0={p[0]}:c1={p[1]}:c2={p[2]}:c3={p[3]}:n=4"
            : $"c0={p[0]}:c1={p[1]}:c2={p[^1]}:n=3";
        return string.Join(";",
            $"gradients=s={lw}x{lh}:r=24:d=1:{colours}:x0={gx0}:y0=0:x1={gx1}:y1={lh}:speed=0.00001,trim=end_frame=1,format=gbrp[bg]",
            $"gradients=s={lw}x{lh}:r=24:d=1:c0={plan.Light}:c1=0x000000:n=2:type=radial:x0={lx}:y0={ly}:x1={lx + (lw / 3)}:y1={ly}:speed=0.00001,trim=end_frame=1,format=gbrp[light]",
            // Clouds: coarse grey noise (luma only, so it shades without tinting), smoothed into soft blobs.
            $"color=c=0x808080:s=48x28:r=24:d=1,noise=c0s=90:all_seed={noiseSeed},gblur=sigma=1.2,scale={lw}x{lh}:flags=bicubic,gblur=sigma=2,format=gbrp[tex]",
            "[bg][light]blend=all_mode=screen:all_opacity=0.6[b1]",
            "[b1][tex]blend=all_mode=overlay:all_opacity=0.6,vignette=PI/4,"
                + $"scale={cw}x{ch}:flags=bicubic,format=gbrp[base]",
            // Dust: about one pixel in a hundred of a tenth-size noise field, blown up into soft round glows
            // at full canvas size (one frame, so the blur costs nothing per output frame).
            // (On a half-size canvas: the same number of glows, half the blur, so they look the same once scaled up.)
            $"color=c=0x808080:s={Even(cw * scale / 12.0)}x{Even(ch * scale / 12.0)}:r=24:d=1,noise=c0s=100:all_seed={noiseSeed ^ 0x5bd1e995},"
                + $"lutyuv=y='if(gt(val,250),255,0)':u=128:v=128,scale={cw}x{ch}:flags=bicubic,gblur=sigma={4 / scale},format=gbrp,"
                + "lutrgb=r='min(255,val*3)':g='min(255,val*3)':b='min(255,val*3)'[dust]",
            "[base][dust]blend=all_mode=screen:all_opacity=0.3,format=yuv420p,loop=loop=-1:size=1,setpts=N/24/TB,"
                + Camera(plan.Motion, sw, sh, frames) + (zooms ? $",scale={width}x{height}:flags=bilinear" : "") + ",setsar=1[v]");
    }

    /// <summary>
    /// One segment per image (inputs 0..n-1), each cover-fitted to the canvas once, looped and moved by the
    /// camera, joined by crossfades. The caller pads and cuts to exactly <paramref name="frames"/>.
    /// </summary>
    public static string Images(CameraMotion motion, int width, int height, int frames, int imageCount)
    {
        var (cw, ch) = Canvas(width, height, motion);
        var fade = imageCount > 1 ? Math.Clamp(frames / (imageCount * 3), 1, MaxCrossfadeFrames) : 0;
        // Segments overlap by the fade, so together they cover the clip once the overlaps are removed.
        var segment = (frames + ((imageCount - 1) * fade) + imageCount - 1) / imageCount;
        var parts = new List<string>();
        for (var i = 0; i < imageCount; i++)
        {
            parts.Add($"[{i}:v]trim=end_frame=1,scale={cw}:{ch}:force_original_aspect_ratio=increase:flags=bicubic,"
                + $"crop={cw}:{ch},setsar=1,format=yuv420p,loop=loop={segment - 1}:size=1,setpts=N/24/TB,"
                + Camera(motion, width, height, segment) + $",setsar=1[s{i}]");
        }
        var last = "s0";
        for (var i = 1; i < imageCount; i++)
        {
            var offset = Seconds(i * (segment - fade));
            parts.Add($"[{last}][s{i}]xfade=transition=fade:duration={Seconds(fade)}:offset={offset}[x{i}]");
            last = $"x{i}";
        }
        // Clone the last frame if rounding left the chain a frame short; -frames:v cuts the rest.
        parts.Add($"[{last}]tpad=stop_mode=clone:stop={fade + 1},format=yuv420p[v]");
        return string.Join(";", parts);
    }

    /// <summary>
    /// The preview frames, taken from the frames being encoded: <c>[thumb]</c> is frame 0 and the middle frame (the
    /// second is the thumbnail, at most 1280 wide), <c>[sheet]</c> the 25 evenly spaced 160-wide frames of the
    /// spritesheet (tiled afterwards, see <see cref="SheetTile"/>). Both start at frame 0 on purpose: ffmpeg holds back
    /// every output until all outputs of the run have their first frame, so a preview that only starts mid-clip (or a
    /// tile that only exists at the end) would keep the whole video in memory and its progress at 0 until then.
    /// </summary>
    public static string Previews(int frames, string input) => string.Join(";",
        $"{input}split=2[a][b]",
        $"[a]select='eq(n,0)+eq(n,{frames / 2})',scale='min(1280,iw)':-2[thumb]",
        $"[b]select='lt(mod(n*25,{frames}),25)',scale=160:-2[sheet]");

    /// <summary>Joins the spritesheet frames written by <see cref="Previews"/> into one 5×5 image.</summary>
    public const string SheetTile = "tile=5x5";

    /// <summary>The camera move from a canvas (see <see cref="Canvas"/>) to the output frame.</summary>
    public static string Camera(CameraMotion motion, int width, int height, int frames)
    {
        // Eased progress 0→1 over the clip (smoothstep): moves start and land softly.
        var last = Math.Max(1, frames - 1);
        var e = $"(3*pow(n/{last},2)-2*pow(n/{last},3))";
        var ez = e.Replace("n/", "on/", StringComparison.Ordinal);
        var size = $"{width}x{height}";
        return motion switch
        {
            CameraMotion.Static => $"crop={width}:{height}",
            CameraMotion.PushIn => Zoom($"1+0.2*{ez}", size),
            CameraMotion.PullOut => Zoom($"1.2-0.2*{ez}", size),
            CameraMotion.PanLeft => $"crop={width}:{height}:x='(iw-ow)*(1-{e})':y='(ih-oh)/2':exact=1",
            CameraMotion.PanRight => $"crop={width}:{height}:x='(iw-ow)*{e}':y='(ih-oh)/2':exact=1",
            CameraMotion.TiltUp => $"crop={width}:{height}:x='(iw-ow)/2':y='(ih-oh)*(1-{e})':exact=1",
            CameraMotion.TiltDown => $"crop={width}:{height}:x='(iw-ow)/2':y='(ih-oh)*{e}':exact=1",
            // One full circle of the frame centre around the canvas centre, constant speed.
            CameraMotion.Orbit => $"crop={width}:{height}:x='(iw-ow)/2*(1+sin(2*PI*n/{frames}))':"
                + $"y='(ih-oh)/2*(1-cos(2*PI*n/{frames}))':exact=1",
            // A slow irregular wander inside the margin, the look of a camera held by hand.
            CameraMotion.Handheld => $"crop={width}:{height}:x='(iw-ow)/2*(1+0.25*sin(n/7)+0.1*sin(n/3.1))':"
                + $"y='(ih-oh)/2*(1+0.25*sin(n/5.3)+0.1*cos(n/2.3))':exact=1",
            _ => throw new ArgumentOutOfRangeException(nameof(motion), motion, null),
        };
    }

    /// <summary>Canvas the camera moves over; a static camera needs no margin.</summary>
    public static (int Width, int Height) Canvas(int width, int height, CameraMotion motion) =>
        motion == CameraMotion.Static ? (width, height) : (Even(width * Margin), Even(height * Margin));

    // zoompan crops at whole canvas pixels; the canvas is larger than the output, so the rounding stays
    // under one output pixel.
    private static string Zoom(string zoom, string size) =>
        $"zoompan=z='{zoom}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s={size}:fps=24";

    private static int Even(double v) => Math.Max(2, (int)Math.Round(v / 2) * 2);

    private static string Seconds(int frames) =>
        (frames / (double)BuiltinOptions.Fps).ToString("0.######", CultureInfo.InvariantCulture);

    // A stable number in [0, 1) from one byte of the seed.
    private static double Unit(uint seed, int byteIndex) => ((seed >> (8 * byteIndex)) & 0xFF) / 256.0;
}
