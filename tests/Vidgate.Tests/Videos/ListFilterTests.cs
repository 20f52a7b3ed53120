using System.Net;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Videos;

/// <summary>
/// <c>GET /v1/videos?status=&amp;model=&amp;q=</c>: the server filters the caller's own videos and the cursor pages over the
/// matches; without the filters the list is OpenAI's, unchanged. (Both engines: the task store contract.)
/// </summary>
public sealed class ListFilterTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly VidgateApp _app = new(settings: new() { ["Vidgate:Workers"] = "false" });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Status_model_and_prompt_filters_combine_with_the_cursor_and_never_show_another_accounts_videos()
    {
        using var user = await _app.NewUserAsync("filters");
        using var other = await _app.NewUserAsync("other");
        await other.CreateAsync(new { model = "grok-imagine-video", prompt = "a Lighthouse at night", seconds = 1 });
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var body = i % 2 == 0
                ? (object)new { model = "grok-imagine-video", prompt = i == 4 ? "a LIGHTHOUSE in a storm" : $"a field of wheat #{i}", seconds = 1 }
                : new { model = "sora-2", prompt = $"a lighthouse keeper #{i}", seconds = "4", size = "1280x720" };
            ids.Add((await user.CreateAsync(body)).GetProperty("id").GetString()!);
        }

        foreach (var i in new[] { 1, 2, 4 })
        {
            await Api.OkJsonAsync(await user.PostAsync($"/v1/videos/{ids[i]}/cancel", null, Ct));
        }

        Assert.Equal([ids[4], ids[2], ids[1]], await IdsAsync(user, "status=cancelled"));
        Assert.Equal([ids[3], ids[0]], await IdsAsync(user, "status=queued"));
        Assert.Empty(await IdsAsync(user, "status=in_progress"));
        Assert.Equal([ids[3], ids[1]], await IdsAsync(user, "model=sora-2"));
        Assert.Equal([ids[4], ids[3], ids[1]], await IdsAsync(user, "q=lightHOUSE"));
        Assert.Equal([ids[4]], await IdsAsync(user, "q=lighthouse&model=grok-imagine-video&status=cancelled"));
        Assert.Empty(await IdsAsync(user, "q=" + Uri.EscapeDataString("%")));

        // Paged: two at a time over the three cancelled, then oldest first.
        var first = await Api.OkJsonAsync(await user.GetAsync("/v1/videos?status=cancelled&limit=2", Ct));
        Assert.True(first.GetProperty("has_more").GetBoolean());
        Assert.Equal(ids[2], first.GetProperty("last_id").GetString());
        var second = await Api.OkJsonAsync(await user.GetAsync($"/v1/videos?status=cancelled&limit=2&after={ids[2]}", Ct));
        Assert.False(second.GetProperty("has_more").GetBoolean());
        Assert.Equal([ids[1]], second.GetProperty("data").EnumerateArray().Select(v => v.GetProperty("id").GetString()));
        Assert.Equal([ids[1], ids[2], ids[4]], await IdsAsync(user, "status=cancelled&order=asc"));

        // Without filters: every video, in OpenAI's list shape (a cancelled one reads failed with code cancelled).
        var all = await Api.OkJsonAsync(await user.GetAsync("/v1/videos", Ct));
        Assert.Equal(5, all.GetProperty("data").GetArrayLength());
        Assert.Equal("list", all.GetProperty("object").GetString());
        var cancelled = all.GetProperty("data").EnumerateArray().First(v => v.GetProperty("id").GetString() == ids[4]);
        Assert.Equal(("failed", "cancelled"), (cancelled.GetProperty("status").GetString(), cancelled.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(5, (await IdsAsync(user, "status=&model=&q=")).Length);
    }

    [Theory]
    [InlineData("status=done", "status")]
    [InlineData("status=Cancelled", "status")]
    [InlineData("status=cancelled,failed", "status")]
    [InlineData("status=%00", "status")]
    public async Task An_unknown_status_is_a_400_naming_the_parameter(string query, string param)
    {
        using var user = await _app.NewUserAsync("typo", topUp: 0);
        var error = await Api.ErrorAsync(await user.GetAsync("/v1/videos?" + query, Ct), HttpStatusCode.BadRequest);
        Assert.Equal((param, "invalid_status"), (error.GetProperty("param").GetString(), error.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task An_overlong_filter_is_a_400_not_a_scan()
    {
        using var user = await _app.NewUserAsync("long", topUp: 0);
        var error = await Api.ErrorAsync(await user.GetAsync("/v1/videos?q=" + new string('q', 201), Ct), HttpStatusCode.BadRequest);
        Assert.Equal("q", error.GetProperty("param").GetString());
        error = await Api.ErrorAsync(await user.GetAsync("/v1/videos?model=" + new string('m', 201), Ct), HttpStatusCode.BadRequest);
        Assert.Equal("model", error.GetProperty("param").GetString());
    }

    private static async Task<string?[]> IdsAsync(HttpClient client, string query)
        => [.. (await Api.OkJsonAsync(await client.GetAsync("/v1/videos?" + query, Ct))).GetProperty("data").EnumerateArray().Select(v => v.GetProperty("id").GetString())];
}
