using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Vidgate.Fakes;

/// <summary>
/// Veo on Vertex AI as vendors.md §2 and §7 document it, with its own OAuth token endpoint. <see cref="FakeVendorOptions.ApiKey"/>
/// is the service-account JSON key; its <c>token_uri</c> must point at this fake's <c>/token</c> (start the fake on a
/// chosen port). <c>POST /token</c> takes <c>grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&amp;assertion=…</c>, checks the
/// RS256 signature against the key's public half, <c>iss</c>, <c>aud</c> (<c>https://oauth2.googleapis.com/token</c>), the
/// cloud-platform <c>scope</c> and an <c>exp</c> at most an hour after <c>iat</c> (else 400 <c>invalid_grant</c>), and answers
/// <c>{access_token, expires_in, token_type}</c> (<c>expires_in</c> every other time as a string, as Google's library
/// tolerates). <c>POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:predictLongRunning</c> with that
/// bearer token → <c>{"name": "projects/…/operations/{id}"}</c>; <c>POST …/models/{m}:fetchPredictOperation
/// {"operationName"}</c> → <c>done:false</c>, then <c>response.videos[0]</c> with <c>bytesBase64Encoded</c> (or
/// <c>gcsUri</c> when <c>storageUri</c> was set), or <c>raiMediaFilteredCount</c> (<c>[fake:moderation]</c>), or
/// <c>error</c> (<c>[fake:failed]</c>). A <c>[fake:result-404]</c> operation answers once done, then 404 (gone). Google's
/// envelope for errors: 401 <c>UNAUTHENTICATED</c>, 403 <c>PERMISSION_DENIED</c> (another project), 400
/// <c>INVALID_ARGUMENT</c>, 404 <c>NOT_FOUND</c> (a <c>retired-*</c> model), 429 <c>RESOURCE_EXHAUSTED</c>, 500 <c>INTERNAL</c>.
/// </summary>
public sealed class FakeVertex : FakeVendor
{
    private const string Audience = "https://oauth2.googleapis.com/token";
    /// <summary>Vertex AI's words and limits: images inline or in Cloud Storage, up to 1080p, several samples, a gs:// output.</summary>
    private static readonly VeoPredictRules Rules = new(
        "The prompt is empty. Please provide a prompt.",
        "image must hold exactly one of bytesBase64Encoded and gcsUri, and a mimeType.",
        IsImage,
        model => model.StartsWith("veo-2", StringComparison.Ordinal) ? [5, 6, 7, 8] : [4, 6, 8],
        (resolution, _) => resolution is "720p" or "1080p" ? null : "resolution must be 720p or 1080p.",
        More: parameters => parameters.TryGetProperty("sampleCount", out var count) && (count.ValueKind != JsonValueKind.Number || count.GetInt32() is < 1 or > 4)
            ? "sampleCount must be between 1 and 4."
            : parameters.TryGetProperty("storageUri", out var storage) && storage.GetString()?.StartsWith("gs://", StringComparison.Ordinal) != true
                ? "storageUri must start with gs://."
                : null);

    private static readonly Lazy<string[]> RsaKeys = new(() => [.. Enumerable.Range(0, 2).Select(_ => Pem())]);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _fetchedDone = new(StringComparer.Ordinal);
    private int _exchanges;

    private FakeVertex(FakeVendorOptions options)
        : base(options)
    {
    }

    /// <summary>The JWT assertions the token endpoint received, oldest first.</summary>
    public ConcurrentQueue<string> Assertions { get; } = new();

    /// <summary>Token exchanges answered with a token.</summary>
    public int TokensIssued => Volatile.Read(ref _exchanges);

    /// <summary>How long an issued token lives (Google: an hour).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromSeconds(3599);

    public static async Task<FakeVertex> StartAsync(FakeVendorOptions options, int port = 0, CancellationToken ct = default)
    {
        var fake = new FakeVertex(options);
        await fake.StartHostAsync(port, ct);
        return fake;
    }

    /// <summary>
    /// A service-account JSON key whose <c>token_uri</c> is <paramref name="tokenUri"/>. <paramref name="rsaKey"/> picks one
    /// of two RSA keys made once per process (making one takes a while): keys with different numbers cannot sign for each other.
    /// </summary>
    public static string NewKey(Uri tokenUri, int rsaKey = 0, string project = "vidgate-test", string email = "veo@vidgate-test.iam.gserviceaccount.com")
    {
        return JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["project_id"] = project,
            ["private_key_id"] = Guid.NewGuid().ToString("N"),
            ["private_key"] = RsaKeys.Value[rsaKey] + "\n",
            ["client_email"] = email,
            ["client_id"] = "1234567890",
            ["token_uri"] = tokenUri.ToString(),
        });
    }

    protected override void Map(WebApplication app)
    {
        app.MapPost("/token", TokenAsync);
        app.MapPost("/v1/projects/{project}/locations/{location}/publishers/google/models/{action}", ModelAsync);
    }

    protected override Task WriteFaultAsync(HttpContext http, VendorFault fault) => fault switch
    {
        VendorFault.ServerError => ErrorAsync(http, 500, "INTERNAL", "Internal error encountered."),
        _ => ErrorAsync(http, 429, "RESOURCE_EXHAUSTED", "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: veo-3.1-generate."),
    };

    private async Task TokenAsync(HttpContext http)
    {
        Requests.Enqueue(new FakeVendorRequest("POST", "/token", null, http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString())));
        var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : null;
        if (form?["grant_type"].ToString() != "urn:ietf:params:oauth:grant-type:jwt-bearer")
        {
            await WriteJsonAsync(http, 400, """{"error":"unsupported_grant_type","error_description":"Invalid grant_type: "}""");
            return;
        }

        Assertions.Enqueue(form["assertion"].ToString());
        if (Check(form["assertion"].ToString()) is { } problem)
        {
            await WriteJsonAsync(http, 400, $$"""{"error":"invalid_grant","error_description":{{Quote(problem)}}}""");
            return;
        }

        var token = "ya29.fake-" + Guid.NewGuid().ToString("N");
        _tokens[token] = Options.Clock.GetUtcNow() + TokenLifetime;
        var n = Interlocked.Increment(ref _exchanges);
        var expires = (int)TokenLifetime.TotalSeconds;
        await WriteJsonAsync(http, 200, $$"""{"access_token":"{{token}}","expires_in":{{(n % 2 == 0 ? $"\"{expires}\"" : expires.ToString(System.Globalization.CultureInfo.InvariantCulture))}},"token_type":"Bearer"}""");
    }

    private async Task ModelAsync(HttpContext http, string project, string location, string action)
    {
        var body = await RecordAsync(http);
        if (await AuthAsync(http, project))
        {
            return;
        }

        var colon = action.LastIndexOf(':');
        var (model, verb) = colon > 0 ? (action[..colon], action[(colon + 1)..]) : (action, "");
        var resource = $"projects/{project}/locations/{location}/publishers/google/models/{model}";
        if (verb == "fetchPredictOperation")
        {
            await FetchAsync(http, resource, body);
            return;
        }

        if (verb != "predictLongRunning")
        {
            await ErrorAsync(http, 404, "NOT_FOUND", "Method not found.");
            return;
        }

        if (await FaultAsync(http, submit: true))
        {
            return;
        }

        if (model.StartsWith("retired-", StringComparison.Ordinal))
        {
            await ErrorAsync(http, 404, "NOT_FOUND", $"Publisher Model `{resource}` not found.");
            return;
        }

        if (VeoPredictCheck.Invalid(body, model, Rules) is { } problem)
        {
            await ErrorAsync(http, 400, "INVALID_ARGUMENT", problem);
            return;
        }

        var id = Guid.NewGuid().ToString();
        NewJob(id, body!.Value.GetProperty("instances")[0].GetProperty("prompt").GetString()!, body.Value, resource);
        await WriteJsonAsync(http, 200, $$"""{"name":"{{resource}}/operations/{{id}}"}""");
    }

    private async Task FetchAsync(HttpContext http, string resource, JsonElement? body)
    {
        var name = body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty("operationName", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
        var id = name.StartsWith(resource + "/operations/", StringComparison.Ordinal) ? name[(resource.Length + "/operations/".Length)..] : "";
        if (!Jobs.TryGetValue(id, out var job) || job.Family != resource)
        {
            await ErrorAsync(http, 404, "NOT_FOUND", "The operation was not found.");
            return;
        }

        if (await FaultAsync(http, submit: false))
        {
            return;
        }

        if (Running(job))
        {
            await WriteJsonAsync(http, 200, job.Seq % 2 == 0 ? $$"""{"name":"{{name}}"}""" : $$"""{"name":"{{name}}","done":false}""");
            return;
        }

        if (job.Marked("result-404") && _fetchedDone.AddOrUpdate(id, 1, (_, c) => c + 1) > 1)
        {
            await ErrorAsync(http, 404, "NOT_FOUND", "The operation has expired.");
            return;
        }

        const string type = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse";
        string json;
        if (job.Marked("failed"))
        {
            json = $$"""{"name":"{{name}}","done":true,"error":{"code":13,"message":{{Quote("Video generation failed due to an internal error." + Echo(http.Request.Headers.Authorization.ToString()))}}""" + "}}";
        }
        else if (job.Marked("moderation"))
        {
            json = $$"""{"name":"{{name}}","done":true,"response":{"@type":"{{type}}","raiMediaFilteredCount":1,"raiMediaFilteredReasons":["Veo could not generate videos because the input image violates Vertex AI's usage guidelines. Support codes: 15236754"]""" + "}}";
        }
        else if (job.Body.GetProperty("parameters").TryGetProperty("storageUri", out var storage))
        {
            json = $$"""{"name":"{{name}}","done":true,"response":{"@type":"{{type}}","raiMediaFilteredCount":0,"videos":[{"gcsUri":"{{storage.GetString()!.TrimEnd('/')}}/{{id}}/sample_0.mp4","mimeType":"video/mp4"}]""" + "}}";
        }
        else
        {
            json = $$"""{"name":"{{name}}","done":true,"response":{"@type":"{{type}}","raiMediaFilteredCount":0,"videos":[{"bytesBase64Encoded":"{{Convert.ToBase64String(FakeMedia.SmallMp4)}}","mimeType":"video/mp4"}]""" + "}}";
        }

        await WriteJsonAsync(http, 200, json);
    }

    /// <summary>True when the bearer token is missing, unknown or expired, or the project is not the key's (and the refusal was written).</summary>
    private async Task<bool> AuthAsync(HttpContext http, string project)
    {
        var header = http.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : "";
        if (!_tokens.TryGetValue(token, out var expires) || Options.Clock.GetUtcNow() >= expires)
        {
            await ErrorAsync(http, 401, "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential." + Echo(token));
            return true;
        }

        using var key = JsonDocument.Parse(Options.ApiKey);
        if (project != key.RootElement.GetProperty("project_id").GetString())
        {
            await ErrorAsync(http, 403, "PERMISSION_DENIED", $"Permission 'aiplatform.endpoints.predict' denied on resource '//aiplatform.googleapis.com/projects/{project}' (or it may not exist).");
            return true;
        }

        return false;
    }

    /// <summary>The JWT-bearer assertion checked as Google checks it; null when it is good.</summary>
    private string? Check(string assertion)
    {
        using var key = JsonDocument.Parse(Options.ApiKey);
        var parts = assertion.Split('.');
        if (parts.Length != 3)
        {
            return "Invalid JWT: malformed.";
        }

        using var rsa = RSA.Create();
        rsa.ImportFromPem(key.RootElement.GetProperty("private_key").GetString());
        bool valid;
        try
        {
            valid = rsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Decode(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (FormatException)
        {
            valid = false;
        }

        if (!valid)
        {
            return "Invalid JWT Signature.";
        }

        using var header = JsonDocument.Parse(Decode(parts[0]));
        using var claims = JsonDocument.Parse(Decode(parts[1]));
        var c = claims.RootElement;
        var now = Options.Clock.GetUtcNow().ToUnixTimeSeconds();
        if (header.RootElement.GetProperty("alg").GetString() != "RS256"
            || header.RootElement.TryGetProperty("kid", out var kid) && kid.GetString() != key.RootElement.GetProperty("private_key_id").GetString())
        {
            return "Invalid JWT: the header does not match the key.";
        }

        if (c.GetProperty("iss").GetString() != key.RootElement.GetProperty("client_email").GetString() || c.GetProperty("aud").GetString() != Audience)
        {
            return "Invalid JWT: iss or aud is wrong.";
        }

        if (c.GetProperty("scope").GetString()?.Split(' ').Contains("https://www.googleapis.com/auth/cloud-platform") != true)
        {
            return "Invalid OAuth scope or ID token audience provided.";
        }

        var iat = c.GetProperty("iat").GetInt64();
        var exp = c.GetProperty("exp").GetInt64();
        return exp - iat > 3600 || exp < now || iat > now + 300
            ? "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
            : null;
    }

    private static bool IsImage(JsonElement image)
    {
        if (image.ValueKind != JsonValueKind.Object || !image.TryGetProperty("mimeType", out var type) || type.GetString()?.StartsWith("image/", StringComparison.Ordinal) != true)
        {
            return false;
        }

        var hasBytes = image.TryGetProperty("bytesBase64Encoded", out var bytes);
        var hasUri = image.TryGetProperty("gcsUri", out _);
        return hasBytes != hasUri && (!hasBytes || bytes.GetString() is { Length: > 0 } data && !data.StartsWith("data:", StringComparison.Ordinal) && Convert.TryFromBase64String(data, new byte[data.Length], out _));
    }

    private static string Pem()
    {
        using var rsa = RSA.Create(2048);
        return rsa.ExportPkcs8PrivateKeyPem();
    }

    private static byte[] Decode(string part)
    {
        var padded = part.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }

    private static Task ErrorAsync(HttpContext http, int code, string status, string message)
        => WriteJsonAsync(http, code, $$"""{"error":{"code":{{code}},"message":{{Quote(message)}},"status":{{Quote(status)}}""" + "}}");
}
