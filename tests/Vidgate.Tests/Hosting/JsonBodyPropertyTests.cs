using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using CsCheck;
using Microsoft.AspNetCore.Routing;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Hosting;

/// <summary>
/// Property: for every route that takes a JSON body, a known-good body mutated at the byte level (raw invalid UTF-8
/// inside strings and property names, bytes outside strings, lone-surrogate escapes, truncation, duplicated slices,
/// deep nesting, huge numbers) is never a 5xx, every 4xx has the error shape, and a document that is valid JSON but
/// holds undecodable text is a 400 <c>invalid_json</c>. The run is one seed (<c>VIDGATE_TEST_SEED</c>, a CsCheck seed
/// string, printed either way), so a failing run replays exactly.
/// </summary>
public sealed class JsonBodyPropertyTests
{
    private const int Cases = 4000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(12);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Byte sequences that are not UTF-8: lone continuation, overlong, truncated, encoded surrogate, past U+10FFFF.</summary>
    private static readonly byte[][] BadUtf8 =
    [
        [0xFF], [0xFE], [0xC0], [0xC0, 0xAF], [0xC1, 0xBF], [0x80], [0xBF], [0xC3], [0xE2, 0x82], [0xE0, 0x80, 0xAF],
        [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF0, 0x9F, 0x98], [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
    ];

    private static readonly string[] Escapes = ["\\ud800", "\\udfff", "\\ud83d", "\\ud800\\ud800", "\\udc00\\ud800"];

    private static readonly string[] HugeNumbers =
    [
        "1" + new string('0', 400), "-" + new string('9', 400), "1e999999", "-1e-999999", "0." + new string('0', 400) + "1",
        "123456789012345678901234567890", "1.7976931348623157e309",
    ];

    private enum Kind
    {
        BadBytesInString,
        OverwriteInString,
        BadBytesAnywhere,
        EscapeInString,
        Truncate,
        Duplicate,
        DeepNesting,
        HugeNumber,
        FlipByte,
    }

    private sealed record Mutation(Kind Kind, int Position, int Choice, int Length);

    private sealed record Case(int Sample, Mutation[] Mutations);

    private static readonly Gen<Mutation> MutationGen =
        Gen.Select(Gen.Enum<Kind>(), Gen.Int[0, int.MaxValue], Gen.Int[0, 1000], Gen.Int[1, 300], (kind, position, choice, length) => new Mutation(kind, position, choice, length));

    [Fact]
    public async Task Mutated_json_bodies_of_every_route_are_never_5xx_and_undecodable_text_is_invalid_json()
    {
        var seed = Environment.GetEnvironmentVariable("VIDGATE_TEST_SEED") is { Length: > 0 } given ? given : Gen.Seed.Single();
        TestContext.Current.TestOutputHelper?.WriteLine($"VIDGATE_TEST_SEED={seed}");
        Console.WriteLine($"{nameof(JsonBodyPropertyTests)}: VIDGATE_TEST_SEED={seed}");

        using var app = new VidgateApp(settings: new() { ["Vidgate:Workers"] = "false", ["Vidgate:Dashboard:AllowUserKeys"] = "true" });
        using var admin = app.Admin();
        var (userKey, userAccount) = await app.NewKeyAsync("fuzz");
        await app.TopUpAsync(userAccount, 1_000_000_000_000);
        await Billing.Books.SetTierAsync(app, userAccount, "unlimited");
        using var user = app.Client(userKey);
        var task = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "a real one" })).GetProperty("id").GetString()!;
        var (_, account) = await app.NewKeyAsync("target");
        var keyId = (await Api.OkJsonAsync(await admin.GetAsync("/admin/keys", Ct))).GetProperty("data").EnumerateArray()
            .First(k => k.GetProperty("name").GetString() == "target").GetProperty("id").GetString()!;

        // Every route that takes a body, read from the app itself: a new one without a sample fails here.
        var bodyRoutes = app.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
                .Where(m => m is "POST" or "PUT" or "PATCH")
                .Select(m => $"{m} /{e.RoutePattern.RawText!.Trim('/')}"))
            .Distinct()
            .ToList();
        string[] bodiless =
        [
            "POST /v1/videos/{id}/cancel", "POST /v1/webhooks/callback-secret/rotate", "POST /v1/webhooks/{wid}/rotate-secret",
            "POST /admin/accounts/{id}/webhooks/callback-secret/rotate", "POST /admin/accounts/{id}/webhooks/{wid}/rotate-secret",
            "POST /admin/webhook-deliveries/{did}/replay", "POST /admin/providers/{id}/test",

            // A vendor's notice: never parsed as a request (a wake-up whatever it says), so there are no fields to mutate.
            "POST /v1/upstream-callbacks/{instance}/{token}",
        ];
        Assert.Empty(bodyRoutes.Except(MalformedInputTests.Samples.Keys).Except(bodiless));

        // Providers last: the route sample needs the provider, and the provider sample then answers 409 (a 4xx, fine).
        var samples = MalformedInputTests.Samples
            .Where(s => bodyRoutes.Contains(s.Key))
            .OrderBy(s => s.Key.Contains("/providers", StringComparison.Ordinal) || s.Key.Contains("/routes", StringComparison.Ordinal))
            .SelectMany(s => s.Value.Select(body => (Route: s.Key, Body: Encoding.UTF8.GetBytes(body))))
            .ToArray();
        foreach (var (route, body) in samples.Where(s => !s.Route.EndsWith("/remix", StringComparison.Ordinal)))
        {
            using var response = await SendAsync(route, body);
            Assert.True(response.IsSuccessStatusCode, $"sample {route} → {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        }

        var cases = Gen.Select(Gen.Int[0, samples.Length - 1], MutationGen.Array[1, 3], (sample, mutations) => new Case(sample, mutations))
            .Array[Cases].Single(_ => true, seed);
        var clock = Stopwatch.StartNew();
        var sent = 0;
        var undecodable = 0;
        var failures = new List<string>();
        foreach (var @case in cases)
        {
            if (clock.Elapsed > Budget)
            {
                break;
            }

            var (route, sample) = samples[@case.Sample];
            var body = @case.Mutations.Aggregate(sample, Apply);
            using var response = await SendAsync(route, body);
            sent++;
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(Ct);
            if (status >= 500 || (status >= 400 && !MalformedInputTests.HasErrorShape(text)))
            {
                failures.Add($"{route} {Preview(body)} → {status} {text}");
            }
            else if (ValidJsonWithUndecodableText(body) && ++undecodable > 0 && (status != 400 || Code(text) != "invalid_json"))
            {
                failures.Add($"{route} {Preview(body)} holds undecodable text → {status} {text}, not a 400 invalid_json");
            }
        }

        Console.WriteLine($"{nameof(JsonBodyPropertyTests)}: {sent} mutated bodies ({undecodable} valid JSON holding undecodable text) over {samples.Length} samples in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(failures.Count == 0, $"VIDGATE_TEST_SEED={seed}: {failures.Count} of {sent} failed:\n" + string.Join('\n', failures.Take(20)));
        Assert.True(sent >= 100, $"only {sent} bodies sent in {Budget.TotalSeconds} s");

        // Still taking work afterwards.
        await user.CreateAsync(new { model = "grok-imagine-video", prompt = "after the storm" });

        async Task<HttpResponseMessage> SendAsync(string route, byte[] body)
        {
            var method = route[..route.IndexOf(' ', StringComparison.Ordinal)];
            var path = route[(method.Length + 1)..]
                .Replace("/v1/videos/{id}", "/v1/videos/" + task, StringComparison.Ordinal)
                .Replace("/keys/{id}", "/keys/" + keyId, StringComparison.Ordinal)
                .Replace("/accounts/{id}", "/accounts/" + account, StringComparison.Ordinal)
                .Replace("/tiers/{id}", "/tiers/fuzz", StringComparison.Ordinal)
                .Replace("/providers/{id}", "/providers/xai-main", StringComparison.Ordinal)
                .Replace("/models/{name}", "/models/grok-imagine-video", StringComparison.Ordinal);
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent(body) };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
            return await (path.StartsWith("/admin", StringComparison.Ordinal) ? admin : user).SendAsync(request, Ct);
        }
    }

    private static byte[] Apply(byte[] body, Mutation m)
    {
        var inString = StringPositions(body);
        var afterColon = ColonPositions(body);
        int Pick(IReadOnlyList<int> positions) => positions.Count == 0 ? m.Position % (body.Length + 1) : positions[m.Position % positions.Count];
        switch (m.Kind)
        {
            case Kind.BadBytesInString:
                return Insert(body, Pick(inString), BadUtf8[m.Choice % BadUtf8.Length]);
            case Kind.OverwriteInString when body.Length > 0:
                var copy = (byte[])body.Clone();
                var at = Math.Min(Pick(inString), body.Length - 1);
                copy[at] = BadUtf8[m.Choice % BadUtf8.Length][0];
                return copy;
            case Kind.BadBytesAnywhere:
                return Insert(body, m.Position % (body.Length + 1), BadUtf8[m.Choice % BadUtf8.Length]);
            case Kind.EscapeInString:
                return Insert(body, Pick(inString), Encoding.ASCII.GetBytes(Escapes[m.Choice % Escapes.Length]));
            case Kind.Truncate:
                return body[..(m.Position % (body.Length + 1))];
            case Kind.Duplicate when body.Length > 0:
                var start = m.Position % body.Length;
                var slice = body[start..Math.Min(body.Length, start + m.Length)];
                return Insert(body, m.Choice % (body.Length + 1), slice);
            case Kind.DeepNesting:
                // "a":[[[…]]],"nest":<the old value>: still valid JSON, nested past the reader's depth limit.
                var depth = m.Length;
                return Insert(body, Pick(afterColon), Encoding.ASCII.GetBytes(new string('[', depth) + new string(']', depth) + ",\"nest\":"));
            case Kind.HugeNumber:
                return Insert(body, Pick(afterColon), Encoding.ASCII.GetBytes(HugeNumbers[m.Choice % HugeNumbers.Length] + ",\"big\":"));
            case Kind.FlipByte when body.Length > 0:
                var flipped = (byte[])body.Clone();
                flipped[m.Position % body.Length] = (byte)m.Choice;
                return flipped;
            default:
                return body;
        }
    }

    private static byte[] Insert(byte[] body, int at, byte[] bytes) => [.. body[..at], .. bytes, .. body[at..]];

    /// <summary>Offsets inside string tokens (values and property names), after the opening quote.</summary>
    private static List<int> StringPositions(byte[] body)
    {
        var positions = new List<int>();
        var inString = false;
        for (var i = 0; i < body.Length; i++)
        {
            if (inString)
            {
                positions.Add(i);
                if (body[i] == '\\')
                {
                    i++;
                }
                else if (body[i] == '"')
                {
                    inString = false;
                }
            }
            else if (body[i] == '"')
            {
                inString = true;
            }
        }

        return positions;
    }

    /// <summary>Offsets just after a ':' outside strings, where a value starts.</summary>
    private static List<int> ColonPositions(byte[] body)
    {
        var positions = new List<int>();
        var inString = false;
        for (var i = 0; i < body.Length; i++)
        {
            if (inString)
            {
                if (body[i] == '\\')
                {
                    i++;
                }
                else if (body[i] == '"')
                {
                    inString = false;
                }
            }
            else if (body[i] == '"')
            {
                inString = true;
            }
            else if (body[i] == ':')
            {
                positions.Add(i + 1);
            }
        }

        return positions;
    }

    /// <summary>Syntactically valid JSON (which JsonDocument accepts) whose bytes or escapes are not text.</summary>
    private static bool ValidJsonWithUndecodableText(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return !Utf8.IsValid(body) || Escapes.Any(e => Encoding.ASCII.GetString(body).Contains(e, StringComparison.Ordinal)) && HasLoneSurrogate(document.RootElement);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool HasLoneSurrogate(JsonElement element)
    {
        try
        {
            _ = element.GetRawText();
            return Walk(element);
        }
        catch (InvalidOperationException)
        {
            return true;
        }

        static bool Walk(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.String:
                    _ = e.GetString();
                    return false;
                case JsonValueKind.Array:
                    return e.EnumerateArray().Any(Walk);
                case JsonValueKind.Object:
                    return e.EnumerateObject().Any(p => p.Name.Length < 0 || Walk(p.Value));
                default:
                    return false;
            }
        }
    }

    private static string? Code(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.GetProperty("error").GetProperty("code").GetString();
    }

    private static string Preview(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        return text.Length <= 200 ? text : text[..200] + "…";
    }
}
