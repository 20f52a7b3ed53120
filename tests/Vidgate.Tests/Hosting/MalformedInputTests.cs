using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Hosting;

/// <summary>
/// Every route, every field, every wrong shape: a valid sample body per route is mutated field by field (wrong types,
/// extremes, nulls, missing, unknown, nested junk) and sent alongside raw junk bodies and wrong content types. Nothing may
/// answer 5xx, every 4xx must be the documented error shape, and the server must still answer a plain create afterwards.
/// </summary>
public sealed class MalformedInputTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal const string Png1x1 =
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

    /// <summary>A valid body per route template (method + pattern); routes without one get the generic junk only.</summary>
    internal static readonly Dictionary<string, string[]> Samples = new(StringComparer.Ordinal)
    {
        ["POST /v1/videos"] =
        [
            """{"model":"grok-imagine-video","prompt":"a street","seconds":"8","aspect_ratio":"16:9","resolution":"720P"}""",
            $$"""{"model":"grok-imagine-video","prompt":"a face","images":["{{Png1x1}}","{{Png1x1}}"],"seconds":2}""",
            """{"model":"sora-2","prompt":"a boat","seconds":"4","size":"1280x720"}""",
        ],
        ["POST /v1/videos/generations"] =
        [
            $$$"""{"model":"grok-imagine-video","prompt":"a cat","duration":5,"aspect_ratio":"16:9","resolution":"480p","image":{"url":"{{{Png1x1}}}"}}""",
            $$$"""{"model":"grok-imagine-video","prompt":"a dog","duration":3,"reference_images":[{"url":"{{{Png1x1}}}"},{"url":"{{{Png1x1}}}"}]}""",
        ],
        ["POST /v1/videos/{id}/remix"] = ["""{"prompt":"again, at night"}"""],
        ["POST /admin/keys"] =
        [
            """{"name":"fuzz","requests_per_minute":10,"expires_at":1898761600}""",
            """{"name":"fuzz-fenced","allowed_models":["grok-imagine-video"],"allowed_ips":["203.0.113.0/24","2001:db8::/32"]}""",
        ],
        ["PATCH /admin/keys/{id}"] =
        [
            """{"requests_per_minute":30,"expires_at":null}""",
            """{"allowed_models":["grok-imagine-video","sora-2"],"allowed_ips":["0.0.0.0/0","::/0"]}""",
        ],
        ["POST /v1/account/keys"] = ["""{"name":"fuzz-own","requests_per_minute":5,"allowed_models":["grok-imagine-video"],"allowed_ips":["0.0.0.0/0"]}"""],
        ["POST /admin/accounts"] = ["""{"name":"ACME","tier":"default"}"""],
        ["PATCH /admin/accounts/{id}"] = ["""{"tier":"default"}"""],
        ["POST /admin/accounts/{id}/top-up"] = ["""{"amount_micros":25000000,"reason":"invoice"}"""],
        ["POST /admin/accounts/{id}/adjust"] = ["""{"amount_micros":-1000000,"reason":"goodwill"}"""],
        ["PUT /admin/tiers/{id}"] =
        [
            """{"price_multiplier":1.25,"allowed_models":["grok-imagine-video"],"max_seconds":15,"max_resolution":720,"requests_per_minute":120,"max_in_flight":20}""",
        ],
        ["POST /v1/webhooks"] = ["""{"url":"https://93.184.216.34/hooks/vidgate","events":["video.completed","video.failed"],"description":"fuzz"}"""],
        ["POST /admin/accounts/{id}/webhooks"] = ["""{"url":"https://93.184.216.34/hooks/admin"}"""],
        ["PUT /admin/prices"] = ["""{"model":"grok-imagine-video","resolution":720,"per_second_micros":90000,"per_image_micros":2000}"""],
        ["POST /admin/providers"] =
        [
            """{"id":"xai-main","type":"xai","base_url":"https://api.x.ai","api_keys":["xai-k"],"request_timeout_seconds":60,"max_concurrent_jobs":0,"max_requests_per_second":20,"model_map":{"grok-imagine-video":"grok-imagine-video"}}""",
            """{"id":"comfy","type":"comfyui","base_url":"http://gpu:8188","api_keys":["none"],"options":{"workflow":{"6":{"class_type":"CLIPTextEncode","inputs":{"text":"{{prompt}}"}},"9":{"class_type":"EmptyLatentVideo","inputs":{"width":"{{width}}","length":"{{frames}}"}}},"fps":16}}""",
            """{"id":"veo","type":"veo","base_url":"https://generativelanguage.googleapis.com","api_keys":["g-k"],"options":{"fit":"snap","parameters":{"negativePrompt":"blur","personGeneration":"allow_adult"},"model_map":{"grok-imagine-video":{"text":"veo-3.1-generate-preview","image":"veo-3.1-fast-generate-preview"}}}}""",
            """{"id":"kling","type":"kling","base_url":"https://api.klingai.com","api_keys":["ak|sk"],"options":{"parameters":{"negative_prompt":"blur","cfg_scale":0.5}}}""",
            """{"id":"vidu","type":"vidu","base_url":"https://api.vidu.com","api_keys":["vda-k"],"options":{"usd_per_credit":0.005,"parameters":{"movement_amplitude":"auto","bgm":false},"models":{"viduq2":{"seconds":[5,8],"resolutions":[720],"ratios":["16:9"]}}}}""",
            """{"id":"runway","type":"runway","base_url":"https://api.dev.runwayml.com","api_keys":["key_k"],"options":{"fit":"strict","parameters":{"seed":7,"contentModeration":{"publicFigureThreshold":"auto"}}}}""",
            """{"id":"luma","type":"luma","base_url":"https://api.lumalabs.ai","api_keys":["luma-k"],"options":{"model_map":{"grok-imagine-video":{"text":"ray-2","image":"ray-flash-2"}},"parameters":{"loop":false}}}""",
        ],
        ["PUT /admin/providers/{id}"] = ["""{"type":"openai","base_url":"https://api.example.com/v1","api_keys":["sk-1","sk-2"],"options":{"create_format":"multipart"}}"""],
        ["POST /admin/routes"] = ["""{"model":"grok-imagine-video","provider":"xai-main","priority":0,"weight":1}"""],
        // The fuzzing client's own Authorization header is the key when the body names none.
        ["POST /dashboard/session"] = ["{}"],
        ["POST /admin/models"] =
        [
            """{"name":"fuzz-model","alias_of":"grok-imagine-video","max_seconds":12,"default_seconds":4,"allowed_seconds":[4,8,12],"resolutions":[720],"default_resolution":720,"sizes":["720x1280","1280x720"],"default_size":"1280x720","max_images":1,"description":"fuzz"}""",
            """{"name":"fuzz-fixed","max_seconds":10,"fixed_seconds":10,"default_seconds":10}""",
        ],
        ["PUT /admin/models/{name}"] = ["""{"max_seconds":15,"default_seconds":6,"resolutions":[480,720],"default_resolution":720,"max_images":7,"description":"fuzz"}"""],
    };

    private static readonly byte[] PngBytes = Convert.FromBase64String(Png1x1[(Png1x1.IndexOf(',', StringComparison.Ordinal) + 1)..]);

    /// <summary>Valid multipart creates: the OpenAI SDK's and the legacy grok-video one (the image goes in as input_reference).</summary>
    private static readonly Dictionary<string, string>[] MultipartSamples =
    [
        new() { ["model"] = "sora-2", ["prompt"] = "a boat", ["seconds"] = "4", ["size"] = "1280x720" },
        new() { ["model"] = "grok-video-3-pro", ["prompt"] = "a hill", ["seconds"] = "10", ["aspect_ratio"] = "16:9", ["size"] = "540P" },
    ];

    /// <summary>What each field is replaced with, one at a time.</summary>
    private static readonly string[] Replacements =
    [
        "null", "true", "0", "-1", "1.5", "1e308", "-1e308", "9223372036854775807", "-9223372036854775808",
        "18446744073709551616", "\"\"", "\" \"", "\"-1\"", "\"1e400\"", "\"NaN\"", "\"\\u0000\"", "\"\\ud800\"", "[]", "{}",
        "[null]", "[1,2,3]", "{\"url\":null}", "{\"a\":{\"b\":{\"c\":[{}]}}}", "\"data:image/png;base64,!!!\"",
        "\"data:image/png;base64,AAAA\"", "\"http://169.254.169.254/latest\"", "\"../../etc/passwd\"", "\"video_x\"",
        "\"" + new string('x', 5000) + "\"",
    ];

    /// <summary>Bodies that are not what any route wants.</summary>
    private static readonly (string? ContentType, byte[] Body)[] Junk =
    [
        ("application/json", []),
        ("application/json", "{"u8.ToArray()),
        ("application/json", "[]"u8.ToArray()),
        ("application/json", "null"u8.ToArray()),
        ("application/json", "\"text\""u8.ToArray()),
        ("application/json", "{\"a\":1,\"a\":2}"u8.ToArray()),
        ("application/json", Encoding.UTF8.GetBytes(new string('[', 10_000))),
        ("application/json", [0xff, 0xfe, 0x00, 0x7b]),
        ("application/json; charset=utf-16", "{\"prompt\":\"x\"}"u8.ToArray()),
        ("text/plain", "prompt=x"u8.ToArray()),
        ("application/x-www-form-urlencoded", "prompt=x&seconds=4"u8.ToArray()),
        ("multipart/form-data", "--x\r\n"u8.ToArray()),
        ("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nx"u8.ToArray()),
        ("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"input_reference\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\nnot a png\r\n--b--\r\n"u8.ToArray()),
        (null, "{\"prompt\":\"x\"}"u8.ToArray()),
    ];

    [Fact]
    public async Task No_route_answers_5xx_to_any_malformed_body_and_every_4xx_has_the_error_shape()
    {
        // Streams end after a second: the queued task's event stream (GET /v1/videos/{id}/events) would otherwise stay
        // open until the task ends, which with workers off is never.
        using var app = new VidgateApp(settings: new()
        {
            ["Vidgate:Workers"] = "false",
            ["Vidgate:Live:MaxStreamDuration"] = "00:00:01",
            ["Vidgate:Dashboard:AllowUserKeys"] = "true",
        });
        using var admin = app.Admin();
        // A paying user on the unlimited tier: rate and in-flight caps would otherwise answer most of the valid bodies.
        var (userKey, userAccount) = await app.NewKeyAsync("fuzz");
        await app.TopUpAsync(userAccount, 1_000_000_000_000);
        await Billing.Books.SetTierAsync(app, userAccount, "unlimited");
        using var user = app.Client(userKey);
        var task = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "a real one" })).GetProperty("id").GetString()!;
        var (_, account) = await app.NewKeyAsync("target");
        var userKeyId = (await Api.OkJsonAsync(await admin.GetAsync("/admin/keys", Ct))).GetProperty("data").EnumerateArray()
            .First(k => k.GetProperty("name").GetString() == "target").GetProperty("id").GetString()!;

        var routes = app.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => (Method: m, Pattern: "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Distinct()
            .ToList();
        Assert.Contains(routes, r => r.Pattern == "/v1/videos/{id}/content");
        Assert.True(routes.Count >= 35, $"only {routes.Count} routes found");

        // The samples themselves are accepted, so their mutations test the fields and not an error the sample already had.
        var accepted = new List<(HttpClient Client, string Method, string Path, (string? ContentType, byte[] Body) Body)>();
        foreach (var (route, bodies) in Samples.Where(s => !s.Key.Contains("{id}/remix", StringComparison.Ordinal)))
        {
            var method = route[..route.IndexOf(' ', StringComparison.Ordinal)];
            var path = route[(method.Length + 1)..].Replace("/keys/{id}", "/keys/" + userKeyId, StringComparison.Ordinal)
                .Replace("/accounts/{id}", "/accounts/" + account, StringComparison.Ordinal)
                .Replace("/tiers/{id}", "/tiers/fuzz", StringComparison.Ordinal)
                .Replace("/providers/{id}", "/providers/xai-main", StringComparison.Ordinal)
                .Replace("/models/{name}", "/models/grok-imagine-video", StringComparison.Ordinal);
            accepted.AddRange(bodies.Select(b => (path.StartsWith("/admin", StringComparison.Ordinal) ? admin : user, method, path, ((string?)"application/json", Encoding.UTF8.GetBytes(b)))));
        }

        accepted.AddRange(MultipartSamples.Select(f => (user, "POST", "/v1/videos", Multipart(f, PngBytes))));
        foreach (var (client, method, path, (contentType, body)) in accepted.OrderBy(a => a.Path.Contains("/providers/", StringComparison.Ordinal)))
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent(body) };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            using var response = await client.SendAsync(request, Ct);
            Assert.True(response.IsSuccessStatusCode, $"sample {method} {path} {Preview(body)} → {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        }

        var sent = 0;
        var failures = new List<string>();
        foreach (var (method, pattern) in routes)
        {
            var client = pattern.StartsWith("/admin", StringComparison.Ordinal) ? admin : user;
            foreach (var path in Paths(pattern, task, account))
            {
                foreach (var (contentType, body) in Bodies(method, pattern))
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path);
                    if (method is not ("GET" or "HEAD" or "DELETE") || body.Length > 0)
                    {
                        request.Content = new ByteArrayContent(body);
                        if (contentType is not null)
                        {
                            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                        }
                    }

                    using var response = await client.SendAsync(request, Ct);
                    sent++;
                    var text = await response.Content.ReadAsStringAsync(Ct);
                    var status = (int)response.StatusCode;
                    if (status >= 500 || (status >= 400 && method != "HEAD" && !HasErrorShape(text)))
                    {
                        failures.Add($"{method} {path} [{contentType}] {Preview(body)} → {status} {Preview(Encoding.UTF8.GetBytes(text))}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests failed:\n" + string.Join('\n', failures.Take(40)));
        Assert.True(sent > 2000, $"only {sent} requests sent");

        // Still healthy, still taking work, and the books of the account that took all those creates still add up.
        await Api.OkJsonAsync(await user.GetAsync("/healthz", Ct));
        await user.CreateAsync(new { model = "grok-imagine-video", prompt = "after the storm" });
        await Billing.Books.ReadAsync(app, userAccount);
    }

    [Theory]
    [InlineData("/v1/videos", """{"model":"grok-imagine-video","prompt":"\ud800 at dusk"}""", "prompt")]
    [InlineData("/v1/videos", """{"model":"sora-2","prompt":"x","size":"1280x720","input_reference":{"image_url":"\udfff"}}""", "input_reference")]
    [InlineData("/v1/videos/generations", """{"model":"grok-imagine-video","prompt":"\ud83d"}""", "prompt")]
    [InlineData("/v1/videos/generations", """{"model":"grok-imagine-video","prompt":"x","\ud800":1}""", "body")]
    public async Task A_lone_surrogate_escape_in_a_json_string_is_a_400_naming_the_field(string path, string body, string param)
    {
        using var app = new VidgateApp(settings: new() { ["Vidgate:Workers"] = "false" });
        using var user = await app.NewUserAsync();

        var error = await Api.ErrorAsync(await user.PostJsonAsync(path, body), HttpStatusCode.BadRequest);

        Assert.Equal(("invalid_json", param), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        Assert.Equal(0, (await Api.OkJsonAsync(await user.GetAsync("/v1/videos", Ct))).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Odd_idempotency_keys_are_answered_without_5xx()
    {
        using var app = new VidgateApp(settings: new() { ["Vidgate:Workers"] = "false" });
        using var user = await app.NewUserAsync();
        foreach (var key in new[] { "", " ", new string('k', 10_000), "ключ-🙂", "a\tb" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/videos")
            {
                Content = new StringContent("""{"model":"grok-imagine-video","prompt":"idempotent"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
            using var response = await user.SendAsync(request, Ct);
            Assert.True((int)response.StatusCode < 500, $"Idempotency-Key '{key[..Math.Min(20, key.Length)]}' → {(int)response.StatusCode}");
            if ((int)response.StatusCode >= 400)
            {
                Assert.True(HasErrorShape(await response.Content.ReadAsStringAsync(Ct)));
            }
        }
    }

    private static IEnumerable<string> Paths(string pattern, string task, string account)
    {
        if (!pattern.Contains('{', StringComparison.Ordinal))
        {
            yield return pattern;
            yield return pattern + "?limit=-1&after=%00&order=sideways&variant=x&from=notadate&group_by=nothing&format=xml";
            yield break;
        }

        string[] ids = [task, account, "video_" + new string('0', 31), "a%2Fb", "%25", "..%2F..%2Fetc", new string('x', 300), "-1"];
        foreach (var id in ids)
        {
            var path = pattern.Replace("{id}", id, StringComparison.Ordinal)
                .Replace("{model}", id, StringComparison.Ordinal)
                .Replace("{name}", id, StringComparison.Ordinal)
                .Replace("{resolution:int}", "720", StringComparison.Ordinal);
            yield return path;
        }

        yield return pattern.Replace("{id}", task, StringComparison.Ordinal).Replace("{model}", "grok-imagine-video", StringComparison.Ordinal)
            .Replace("{resolution:int}", "99999999999", StringComparison.Ordinal) + "?variant=../../x&expires=-5&signature=%%";
    }

    private static IEnumerable<(string? ContentType, byte[] Body)> Bodies(string method, string pattern)
    {
        if (method is "GET" or "HEAD" or "DELETE")
        {
            yield return (null, []);
            yield return ("application/json", "{\"junk\":true}"u8.ToArray());
            yield break;
        }

        foreach (var junk in Junk)
        {
            yield return junk;
        }

        if (method == "POST" && pattern is "/v1/videos" or "/v1/videos/{id}/remix")
        {
            foreach (var form in MultipartMutations())
            {
                yield return form;
            }
        }

        if (!Samples.TryGetValue($"{method} {pattern}", out var samples))
        {
            yield break;
        }

        foreach (var sample in samples)
        {
            yield return ("application/json", Encoding.UTF8.GetBytes(sample));
            var fields = JsonNode.Parse(sample)!.AsObject().Select(p => p.Key).ToList();
            foreach (var field in fields)
            {
                var without = JsonNode.Parse(sample)!.AsObject();
                without.Remove(field);
                yield return ("application/json", Encoding.UTF8.GetBytes(without.ToJsonString()));

                foreach (var replacement in Replacements)
                {
                    // Spliced as text: some replacements (1e308, surrogates) are exactly what a JSON DOM would normalise away.
                    var others = JsonNode.Parse(sample)!.AsObject();
                    others.Remove(field);
                    var rest = others.ToJsonString().TrimStart('{').TrimEnd('}');
                    var text = "{" + JsonSerializer.Serialize(field) + ":" + replacement + (rest.Length > 0 ? "," + rest : "") + "}";
                    yield return ("application/json", Encoding.UTF8.GetBytes(text));
                }
            }

            var extra = JsonNode.Parse(sample)!.AsObject();
            extra["unknown_field"] = new JsonArray(1, "two", null);
            yield return ("application/json", Encoding.UTF8.GetBytes(extra.ToJsonString()));
        }
    }

    /// <summary>The OpenAI SDK's and the legacy grok-video multipart creates, each text field replaced in turn.</summary>
    private static IEnumerable<(string? ContentType, byte[] Body)> MultipartMutations()
    {
        var png = PngBytes;
        string[] values = ["", " ", "-1", "0", "1.5", "1e400", "NaN", "99999999999999999999", "abc", "16:0", "0x0", "1280x", "x720", "\u0000", new string('x', 5000)];
        foreach (var sample in MultipartSamples)
        {
            yield return Multipart(sample, png);
            foreach (var field in sample.Keys)
            {
                yield return Multipart(sample.Where(f => f.Key != field).ToDictionary(), png);
                foreach (var value in values)
                {
                    yield return Multipart(new Dictionary<string, string>(sample) { [field] = value }, png);
                }
            }

            yield return Multipart(sample, "not an image"u8.ToArray());
            yield return Multipart(new Dictionary<string, string>(sample) { ["unknown_field"] = "1" }, png);
        }
    }

    private static (string? ContentType, byte[] Body) Multipart(Dictionary<string, string> fields, byte[] file)
    {
        using var form = new MultipartFormDataContent("fuzz-boundary");
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        var part = new ByteArrayContent(file);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(part, "input_reference", "ref.png");
        using var stream = form.ReadAsStream(TestContext.Current.CancellationToken);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return (form.Headers.ContentType!.ToString(), buffer.ToArray());
    }

    internal static bool HasErrorShape(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String
                && error.TryGetProperty("type", out _) && error.TryGetProperty("code", out _) && error.TryGetProperty("param", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Preview(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        return text.Length <= 160 ? text : text[..160] + "…";
    }
}
