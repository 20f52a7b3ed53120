using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Models;

/// <summary>
/// <c>/admin/models</c>: the catalog edited at runtime. An edit is in effect for <c>/v1/models</c> and creates at
/// once, on another node within its reload interval; bad definitions are 400s naming the field; a model in use is a 409.
/// </summary>
public sealed class ModelAdminTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string?> NoWorkers = new() { ["Vidgate:Workers"] = "false" };

    public static TheoryData<string, string, string> BadModels => new()
    {
        { """{"max_seconds":10}""", "name", "missing_field" },
        { """{"name":""}""", "name", "missing_field" },
        { """{"name":"has space"}""", "name", "invalid_value" },
        { """{"name":"a/b"}""", "name", "invalid_value" },
        { """{"name":"m","max_seconds":-5}""", "max_seconds", "invalid_value" },
        { """{"name":"m","max_seconds":0}""", "max_seconds", "invalid_value" },
        { """{"name":"m","max_seconds":601}""", "max_seconds", "invalid_value" },
        { """{"name":"m","max_seconds":10,"default_seconds":12}""", "default_seconds", "invalid_value" },
        { """{"name":"m","default_seconds":-1}""", "default_seconds", "invalid_value" },
        { """{"name":"m","allowed_seconds":[4,8],"default_seconds":6}""", "default_seconds", "invalid_value" },
        { """{"name":"m","allowed_seconds":[4,4]}""", "allowed_seconds", "invalid_value" },
        { """{"name":"m","max_seconds":8,"allowed_seconds":[4,12]}""", "allowed_seconds", "invalid_value" },
        { """{"name":"m","allowed_seconds":[-4]}""", "allowed_seconds", "invalid_value" },
        { """{"name":"m","fixed_seconds":20}""", "fixed_seconds", "invalid_value" },
        { """{"name":"m","allowed_seconds":[4,8],"fixed_seconds":6}""", "fixed_seconds", "invalid_value" },
        { """{"name":"m","fixed_seconds":10,"default_seconds":6}""", "default_seconds", "invalid_value" },
        { """{"name":"m","resolutions":[]}""", "resolutions", "invalid_value" },
        { """{"name":"m","resolutions":[721]}""", "resolutions", "invalid_value" },
        { """{"name":"m","resolutions":[100000]}""", "resolutions", "invalid_value" },
        { """{"name":"m","resolutions":[480],"default_resolution":720}""", "default_resolution", "invalid_value" },
        { """{"name":"m","resolutions":[720],"sizes":["1280x720","640x480"]}""", "sizes", "invalid_value" },
        { """{"name":"m","resolutions":[720],"sizes":["wide"]}""", "sizes", "invalid_value" },
        { """{"name":"m","resolutions":[720],"sizes":["1280x720"],"default_size":"720x1280"}""", "default_size", "invalid_value" },
        { """{"name":"m","max_images":-1}""", "max_images", "invalid_value" },
        { """{"name":"m","alias_of":"no-such-model"}""", "alias_of", "unknown_model" },
        { """{"name":"m","alias_of":"m"}""", "alias_of", "alias_cycle" },
        { """{"name":"m","max_seconds":"ten"}""", "body", "invalid_json" },
        { """{"name":"m",""", "body", "invalid_json" },
    };

    [Theory]
    [MemberData(nameof(BadModels))]
    public async Task A_bad_definition_is_a_400_naming_the_field_and_changes_nothing(string body, string param, string code)
    {
        // One server for every case: a refused definition leaves the catalog as it was.
        using var admin = fixture.App.Admin();
        var before = await admin.GetStringAsync("/admin/models", Ct);

        var error = await Api.ErrorAsync(await admin.PostJsonAsync("/admin/models", body), HttpStatusCode.BadRequest);

        Assert.Equal((param, code), (error.GetProperty("param").GetString(), error.GetProperty("code").GetString()));
        Assert.Equal(before, await admin.GetStringAsync("/admin/models", Ct));
    }

    [Fact]
    public async Task The_configured_models_seed_the_catalog_and_a_user_key_cannot_edit_it()
    {
        using var app = new VidgateApp(settings: NoWorkers);
        using var admin = app.Admin();
        var list = await Api.OkJsonAsync(await admin.GetAsync("/admin/models", Ct));
        var names = list.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
        Assert.Contains("grok-imagine-video", names);
        Assert.Contains("sora-2", names);

        var sora = await Api.OkJsonAsync(await admin.GetAsync("/admin/models/sora-2", Ct));
        Assert.Equal(("grok-imagine-video", 12, 4), (sora.GetProperty("alias_of").GetString(), sora.GetProperty("max_seconds").GetInt32(), sora.GetProperty("default_seconds").GetInt32()));
        Assert.Equal([4, 8, 12], sora.GetProperty("allowed_seconds").EnumerateArray().Select(s => s.GetInt32()));
        Assert.Equal("720x1280", sora.GetProperty("default_size").GetString());

        using var user = await app.NewUserAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await user.PostAsJsonAsync("/admin/models", new { name = "sneaky" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.DeleteAsync("/admin/models/sora-2", Ct)).StatusCode);
        await Api.OkJsonAsync(await admin.GetAsync("/admin/models/sora-2", Ct));
    }

    [Fact]
    public async Task A_new_model_is_listed_and_validated_at_once_and_an_update_or_removal_too()
    {
        using var app = new VidgateApp(settings: NoWorkers);
        using var admin = app.Admin();
        using var user = await app.NewUserAsync();

        var created = await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/models", new
        {
            name = "wan-2.5",
            max_seconds = 10,
            allowed_seconds = new[] { 5, 10 },
            resolutions = new[] { 480, 720 },
            default_resolution = 480,
            max_images = 1,
            description = "Alibaba Wan 2.5",
        }, Ct));
        Assert.Equal(("wan-2.5", 5, 480, "builtin"), (created.GetProperty("name").GetString(), created.GetProperty("default_seconds").GetInt32(),
            created.GetProperty("default_resolution").GetInt32(), created.GetProperty("provider").GetString()));
        await Api.OkJsonAsync(await admin.PutAsJsonAsync("/admin/prices", new { model = "wan-2.5", resolution = 480, per_second_micros = 50_000, per_image_micros = 0 }, Ct));

        var listed = await ModelAsync(user, "wan-2.5");
        Assert.Equal([5, 10], listed!.Value.GetProperty("limits").GetProperty("allowed_seconds").EnumerateArray().Select(s => s.GetInt32()));
        await user.CreateAsync(new { model = "wan-2.5", prompt = "a river", seconds = 5, resolution = "480P" });
        var refused = await Api.ErrorAsync(await user.PostAsJsonAsync("/v1/videos", new { model = "wan-2.5", prompt = "a river", seconds = 7 }, Ct), HttpStatusCode.BadRequest);
        Assert.Equal("seconds", refused.GetProperty("param").GetString());

        // A PUT replaces the definition: 7 s is accepted from the answer on.
        var updated = await Api.OkJsonAsync(await admin.PutAsJsonAsync("/admin/models/wan-2.5", new { max_seconds = 10, allowed_seconds = new[] { 5, 7, 10 }, resolutions = new[] { 480 } }, Ct));
        Assert.Equal(created.GetProperty("created_at").GetInt64(), updated.GetProperty("created_at").GetInt64());
        var task = await user.CreateAsync(new { model = "wan-2.5", prompt = "a river", seconds = 7, resolution = "480P" });

        // Queued tasks use it: not removable until they end.
        var inUse = await Api.ErrorAsync(await admin.DeleteAsync("/admin/models/wan-2.5", Ct), HttpStatusCode.Conflict);
        Assert.Equal("model_in_use", inUse.GetProperty("code").GetString());
        foreach (var video in (await Api.OkJsonAsync(await user.GetAsync("/v1/videos", Ct))).GetProperty("data").EnumerateArray())
        {
            await Api.OkJsonAsync(await user.PostAsync($"/v1/videos/{video.GetProperty("id").GetString()}/cancel", null, Ct));
        }

        Assert.Equal("wan-2.5", task.GetProperty("model").GetString());
        var deleted = await Api.OkJsonAsync(await admin.DeleteAsync("/admin/models/wan-2.5", Ct));
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        Assert.Null(await ModelAsync(user, "wan-2.5"));
        var unknown = await Api.ErrorAsync(await user.PostAsJsonAsync("/v1/videos", new { model = "wan-2.5", prompt = "a river" }, Ct), HttpStatusCode.BadRequest);
        Assert.Equal("model", unknown.GetProperty("param").GetString());
        await Api.ErrorAsync(await admin.GetAsync("/admin/models/wan-2.5", Ct), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Duplicates_unknown_names_renames_routes_aliases_and_alias_cycles_are_refused()
    {
        using var app = new VidgateApp(settings: NoWorkers);
        using var admin = app.Admin();

        Assert.Equal("model_exists", (await Api.ErrorAsync(await admin.PostAsJsonAsync("/admin/models", new { name = "sora-2" }, Ct), HttpStatusCode.Conflict)).GetProperty("code").GetString());
        Assert.Equal("model_not_found", (await Api.ErrorAsync(await admin.PutAsJsonAsync("/admin/models/nobody", new { max_seconds = 5 }, Ct), HttpStatusCode.NotFound)).GetProperty("code").GetString());
        await Api.ErrorAsync(await admin.DeleteAsync("/admin/models/nobody", Ct), HttpStatusCode.NotFound);
        Assert.Equal("name", (await Api.ErrorAsync(await admin.PutAsJsonAsync("/admin/models/sora-2", new { name = "sora-3" }, Ct), HttpStatusCode.BadRequest)).GetProperty("param").GetString());

        // a → b → c, then c → a would loop.
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/models", new { name = "c" }, Ct));
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/models", new { name = "b", alias_of = "c" }, Ct));
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/models", new { name = "a", alias_of = "b" }, Ct));
        var cycle = await Api.ErrorAsync(await admin.PutAsJsonAsync("/admin/models/c", new { alias_of = "a" }, Ct), HttpStatusCode.BadRequest);
        Assert.Equal(("alias_of", "alias_cycle"), (cycle.GetProperty("param").GetString(), cycle.GetProperty("code").GetString()));
        Assert.Equal("model_has_aliases", (await Api.ErrorAsync(await admin.DeleteAsync("/admin/models/c", Ct), HttpStatusCode.Conflict)).GetProperty("code").GetString());
        Assert.Equal("model_has_aliases", (await Api.ErrorAsync(await admin.DeleteAsync("/admin/models/grok-imagine-video", Ct), HttpStatusCode.Conflict)).GetProperty("code").GetString());

        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/providers",
            new { id = "xai-m", type = "xai", base_url = "https://api.x.ai", api_keys = new[] { "xai-k" } }, Ct));
        await Api.OkJsonAsync(await admin.PostAsJsonAsync("/admin/routes", new { model = "a", provider = "xai-m" }, Ct));
        Assert.Equal("model_has_routes", (await Api.ErrorAsync(await admin.DeleteAsync("/admin/models/a", Ct), HttpStatusCode.Conflict)).GetProperty("code").GetString());
        await Api.OkJsonAsync(await admin.GetAsync("/admin/models/a", Ct));
    }

    [Fact]
    public async Task An_edit_on_one_node_reaches_another_within_its_reload_interval()
    {
        var settings = new Dictionary<string, string?>(NoWorkers) { ["Vidgate:Upstreams:ReloadInterval"] = "00:00:00.200" };
        using var first = new VidgateApp(settings: settings);
        using var firstAdmin = first.Admin();
        await Api.OkJsonAsync(await firstAdmin.GetAsync("/admin/models", Ct));
        using var second = new VidgateApp(dataDir: first.DataDir, settings: settings);
        using var secondUser = await second.NewUserAsync();
        await secondUser.CreateAsync(new { model = "grok-imagine-video", prompt = "x", seconds = 10 });

        await Api.OkJsonAsync(await firstAdmin.PutAsJsonAsync("/admin/models/grok-imagine-video", new { max_seconds = 8 }, Ct));

        // The second node re-reads the catalog on a read after the interval; wait for it without assuming a speed.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        while ((await secondUser.PostAsJsonAsync("/v1/videos", new { model = "grok-imagine-video", prompt = "x", seconds = 10 }, deadline.Token)).StatusCode != HttpStatusCode.BadRequest)
        {
            await Task.Delay(100, deadline.Token);
        }

        Assert.Equal(8, (await ModelAsync(secondUser, "grok-imagine-video"))!.Value.GetProperty("limits").GetProperty("max_seconds").GetInt32());
    }

    private static async Task<JsonElement?> ModelAsync(HttpClient user, string name)
    {
        var models = await Api.OkJsonAsync(await user.GetAsync("/v1/models", Ct));
        foreach (var model in models.GetProperty("data").EnumerateArray())
        {
            if (model.GetProperty("id").GetString() == name)
            {
                return model;
            }
        }

        return null;
    }
}
