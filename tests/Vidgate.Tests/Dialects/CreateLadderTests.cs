using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Vidgate.Server.Dialects;
using Vidgate.Server.Models;
using Vidgate.Server.Tasks;

namespace Vidgate.Tests.Dialects;

/// <summary>
/// The dialects only translate: the same intent in each dialect's own field names reaches the one ladder and comes out
/// as the same request, or as the same refusal. Pure: no server, no I/O.
/// </summary>
public sealed class CreateLadderTests
{
    private static readonly ModelCatalog Catalog = new(Options.Create(new ModelCatalogOptions()));
    private const long MaxImageBytes = 10 * 1024 * 1024;

    private static (VideoRequest? Request, ApiError? Error) Run((Dialect, CreateDraft? Draft, ApiError? Error) translated)
    {
        if (translated.Error is not null)
        {
            return (null, translated.Error);
        }

        var (checkedCreate, error) = CreateLadder.Check(translated.Draft!, Catalog, MaxImageBytes);
        return error is not null ? (null, error) : CreateLadder.Complete(checkedCreate!, [], MaxImageBytes);
    }

    private static (Dialect, CreateDraft?, ApiError?) Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return CreateRequests.Translate(document.RootElement, "grok-imagine-video");
    }

    private static (Dialect, CreateDraft?, ApiError?) Xai(string json)
    {
        using var document = JsonDocument.Parse(json);
        var (draft, error) = XaiDialect.Translate(document.RootElement);
        return (Dialect.Xai, draft, error);
    }

    private static (Dialect, CreateDraft?, ApiError?) Form(params (string Name, string Value)[] fields) => CreateRequests.Translate(
        new FormBody(fields.ToDictionary(f => f.Name, f => new StringValues(f.Value), StringComparer.Ordinal), []), "grok-imagine-video");

    [Fact]
    public void One_intent_in_four_dialects_is_one_request()
    {
        var requests = new[]
        {
            Run(Json("""{"model":"grok-imagine-video","prompt":"a cat","seconds":"8","aspect_ratio":"16:9","resolution":"480P"}""")),
            Run(Xai("""{"prompt":"a cat","duration":8,"aspect_ratio":"16:9","resolution":"480p"}""")),
            Run(Form(("model", "grok-imagine-video"), ("prompt", "a cat"), ("seconds", "8"), ("size", "854x480"))),
            Run(Form(("model", "grok-video-3"), ("prompt", "a cat"), ("seconds", "8"), ("aspect_ratio", "16:9"), ("size", "480P"))),
        };

        Assert.All(requests, r => Assert.Null(r.Error));
        Assert.All(requests, r => Assert.Equal(("a cat", 8, 854, 480, "480P"), (r.Request!.Prompt, r.Request.Seconds, r.Request.Width, r.Request.Height, r.Request.Resolution)));
    }

    [Fact]
    public void An_unknown_model_is_one_refusal_in_every_dialect()
    {
        var errors = new[]
        {
            Run(Json("""{"model":"nope","prompt":"a cat"}""")).Error,
            Run(Xai("""{"model":"nope","prompt":"a cat"}""")).Error,
            Run(Form(("model", "nope"), ("prompt", "a cat"))).Error,
            Run(Form(("model", "grok-video-nope"), ("prompt", "a cat"))).Error,
        };

        Assert.All(errors, e => Assert.Equal((400, "model_not_found", "model"), (e!.Status, e.Code, e.Param)));
        Assert.All(errors, e => Assert.StartsWith("Unknown model '", e!.Message, StringComparison.Ordinal));
        Assert.DoesNotContain("sora-2", errors[3]!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fields_are_refused_in_ladder_order_whatever_the_wire_type()
    {
        // A bad prompt is reported before a bad seconds, however each arrived.
        var seed = Run(Json("""{"model":"grok-imagine-video","prompt":"","seconds":1.5}""")).Error!;
        var xai = Run(Xai("""{"prompt":"","duration":"x"}""")).Error!;
        Assert.Equal([("missing_field", "prompt"), ("missing_field", "prompt")], new[] { (seed.Code, seed.Param), (xai.Code, xai.Param) });

        var seconds = Run(Json("""{"model":"grok-imagine-video","prompt":"a","seconds":1.5}""")).Error!;
        var duration = Run(Xai("""{"prompt":"a","duration":{}}""")).Error!;
        Assert.Equal([("invalid_seconds", "seconds"), ("invalid_seconds", "duration")], new[] { (seconds.Code, seconds.Param), (duration.Code, duration.Param) });
    }

    [Fact]
    public void Remote_images_are_counted_by_the_ladder_and_listed_not_fetched()
    {
        var nine = string.Join(",", Enumerable.Range(0, 9).Select(i => $$"""{"url":"https://example.com/{{i}}.png"}"""));
        var (_, tooMany, _) = Xai($$"""{"prompt":"a","reference_images":[{{nine}}]}""");
        var refused = CreateLadder.Check(tooMany!, Catalog, MaxImageBytes).Error!;
        Assert.Equal(("too_many_images", "reference_images"), (refused.Code, refused.Param));

        var (_, two, _) = Xai("""{"prompt":"a","reference_images":[{"url":"https://example.com/a.png"}," http://example.com/b.png"]}""");
        var (checkedCreate, error) = CreateLadder.Check(two!, Catalog, MaxImageBytes);
        Assert.Null(error);
        Assert.Equal(["reference_images[0].url", "reference_images[1].url"], two!.RemoteImages.Select(i => i.FetchParam));
        Assert.All(checkedCreate!.Images, Assert.Null);
    }
}
