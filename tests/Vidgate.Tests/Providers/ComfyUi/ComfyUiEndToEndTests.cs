using System.Net;
using Vidgate.Fakes;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Providers.ComfyUi;

/// <summary>The comfyui type through the whole server with a sample workflow and the fake ComfyUI.</summary>
public sealed class ComfyUiEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_seed_curl_body_renders_on_comfyui_with_the_wan_sample()
    {
        await using var fake = await FakeComfyUi.StartAsync();
        fake.Faults.JobDuration = TimeSpan.FromSeconds(1);
        using var app = UpstreamServer.Start();
        await UpstreamServer.ConnectAsync(app, "gpu-box", "comfyui", fake.BaseUrl, "none",
            ComfyUiTestKit.SampleOptions("wan2.1-t2v-api.json", "\"fps\":16,\"frame_step\":4"));
        using var user = await app.NewUserAsync();

        var created = await Api.OkJsonAsync(await user.PostJsonAsync("/v1/videos", Api.SeedBody));
        var id = created.GetProperty("id").GetString()!;
        await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(60));

        var prompt = Assert.Single(fake.Submitted).Value;
        Assert.StartsWith("A city street", prompt["6"]!["inputs"]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(129, prompt["40"]!["inputs"]!["length"]!.GetValue<int>());
        Assert.Equal(1280, prompt["40"]!["inputs"]!["width"]!.GetValue<int>());
        var probe = await Ffprobe.ProbeAsync(await user.GetByteArrayAsync($"/v1/videos/{id}/content", Ct), Ct);
        Assert.Equal("h264", probe.CodecName);
    }

    [Fact]
    public async Task An_image_request_uploads_the_image_for_the_i2v_sample()
    {
        await using var fake = await FakeComfyUi.StartAsync();
        using var app = UpstreamServer.Start();
        await UpstreamServer.ConnectAsync(app, "gpu-box", "comfyui", fake.BaseUrl, "none", ComfyUiTestKit.SampleOptions("wan2.1-i2v-api.json"));
        using var user = await app.NewUserAsync();

        var image = await TestImages.DataUriAsync("png", 64, 48);
        var id = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "it moves", seconds = "2", image })).GetProperty("id").GetString()!;
        await user.WaitForAsync(id, "completed", TimeSpan.FromSeconds(60));

        var uploaded = Assert.Single(fake.Inputs);
        Assert.Equal(uploaded.Key, Assert.Single(fake.Submitted).Value["52"]!["inputs"]!["image"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_workflow_comfyui_refuses_fails_the_task_with_the_node_error()
    {
        await using var fake = await FakeComfyUi.StartAsync();
        using var app = UpstreamServer.Start();
        const string options = """
            {"workflow":{"1":{"class_type":"CLIPTextEncode","inputs":{"text":"{{prompt}}"}},
                         "2":{"class_type":"SaveVideo","inputs":{"video":["7",0]}}}}
            """;
        await UpstreamServer.ConnectAsync(app, "gpu-box", "comfyui", fake.BaseUrl, "none", options);
        using var user = await app.NewUserAsync();

        var id = (await user.CreateAsync(new { model = "grok-imagine-video", prompt = "x", seconds = "2" })).GetProperty("id").GetString()!;
        var failed = await UpstreamServer.WaitFinishedAsync(user, id, TimeSpan.FromSeconds(30));

        Assert.Equal("upstream_workflow_invalid", failed.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("node 2 (SaveVideo)", failed.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_admin_api_refuses_a_workflow_without_a_prompt_placeholder()
    {
        using var app = UpstreamServer.Start();

        var response = await UpstreamServer.AddProviderAsync(app, "gpu-box", "comfyui", new Uri("http://127.0.0.1:8188"), "none",
            """{"workflow":{"1":{"class_type":"CLIPTextEncode","inputs":{"text":"a cat"}}}}""");

        var error = await Api.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("{{prompt}}", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
