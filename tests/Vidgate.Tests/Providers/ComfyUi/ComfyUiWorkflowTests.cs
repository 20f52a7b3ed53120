using System.Text.Json;
using System.Text.Json.Nodes;
using Vidgate.Server.Providers.ComfyUi;

namespace Vidgate.Tests.Providers.ComfyUi;

/// <summary>Template parsing, validation and substitution: on the JSON tree, never on text.</summary>
public sealed class ComfyUiWorkflowTests
{
    private const string Minimal = """
        {"1":{"class_type":"CLIPTextEncode","inputs":{"text":"{{prompt}}"}},
         "2":{"class_type":"EmptyHunyuanLatentVideo","inputs":{"width":"{{width}}","height":"{{height}}","length":"{{frames}}","batch_size":1}},
         "3":{"class_type":"KSampler","inputs":{"seed":"{{seed}}","note":["{{negative_prompt}}", 2]}},
         "4":{"class_type":"SaveVideo","inputs":{"video":["2",0],"filename_prefix":"video/x"}}}
        """;

    private static ComfyUiWorkflow Parse(string json)
    {
        var workflow = ComfyUiWorkflow.Parse(JsonNode.Parse(json), out var error);
        Assert.Null(error);
        return workflow!;
    }

    [Fact]
    public void A_hostile_prompt_stays_one_string_and_cannot_add_nodes_or_expand_placeholders()
    {
        const string hostile = "a \"quoted\" fox\"}, \"99\": {\"class_type\": \"Evil\", \"inputs\": {}}, \"x\": {\"a\":\"\n\\u0000 {{seed}} }}";
        var filled = Parse(Minimal).Fill(new Dictionary<string, JsonNode> { ["prompt"] = hostile, ["seed"] = 42, ["negative_prompt"] = "blurry" });

        Assert.Equal(4, filled.Count);
        Assert.Equal(hostile, filled["1"]!["inputs"]!["text"]!.GetValue<string>());
        Assert.Equal(42, filled["3"]!["inputs"]!["seed"]!.GetValue<int>());
        Assert.Equal("blurry", filled["3"]!["inputs"]!["note"]![0]!.GetValue<string>());
        Assert.Equal(JsonValueKind.String, filled["2"]!["inputs"]!["width"]!.GetValueKind());
        var reparsed = JsonNode.Parse(filled.ToJsonString())!.AsObject();
        Assert.Equal(4, reparsed.Count);
        Assert.Equal(hostile, reparsed["1"]!["inputs"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public void Numeric_placeholders_become_numbers_and_the_template_is_not_changed()
    {
        var workflow = Parse(Minimal);
        var filled = workflow.Fill(new Dictionary<string, JsonNode> { ["prompt"] = "p", ["width"] = 1280, ["height"] = 720, ["frames"] = 97 });

        Assert.Equal(JsonValueKind.Number, filled["2"]!["inputs"]!["width"]!.GetValueKind());
        Assert.Equal(97, filled["2"]!["inputs"]!["length"]!.GetValue<int>());
        Assert.Equal("{{width}}", workflow.Fill(new Dictionary<string, JsonNode>())["2"]!["inputs"]!["width"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"1":{"class_type":"CLIPTextEncode","inputs":{"text":"hello"}}}""", "no \"{{prompt}}\"")]
    [InlineData("""{"1":{"class_type":"CLIPTextEncode","inputs":{"text":"{{prompt}}","x":"{{colour}}"}}}""", "unknown placeholder {{colour}}")]
    [InlineData("""{"1":{"class_type":"CLIPTextEncode","inputs":{"text":"a photo of {{prompt}}"}}}""", "whole string values")]
    [InlineData("""{"1":{"inputs":{"text":"{{prompt}}"}}}""", "class_type")]
    [InlineData("""{"nodes":[],"links":[]}""", "UI-format")]
    [InlineData("""[]""", "non-empty JSON object")]
    [InlineData("""{"1":{"class_type":"A","inputs":{"text":"{{prompt}}","a":"{{image}}","b":"{{image_0}}"}}}""", "not both")]
    public void Bad_templates_are_refused_with_a_reason(string json, string reason)
    {
        Assert.Null(ComfyUiWorkflow.Parse(JsonNode.Parse(json), out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_slots_count_from_the_highest_image_placeholder()
    {
        Assert.Equal(0, Parse(Minimal).ImageSlots);
        Assert.Equal(1, Parse("""{"1":{"class_type":"A","inputs":{"text":"{{prompt}}","i":"{{image}}"}}}""").ImageSlots);
        Assert.Equal(3, Parse("""{"1":{"class_type":"A","inputs":{"text":"{{prompt}}","i":"{{image_2}}","j":"{{image_0}}"}}}""").ImageSlots);
    }

    [Theory]
    [InlineData("wan2.1-t2v-api.json", "\"fps\":16,\"frame_step\":4", 5, 81)]
    [InlineData("wan2.1-i2v-api.json", "\"fps\":16,\"frame_step\":4", 6, 97)]
    [InlineData("ltxv-t2v-api.json", "\"fps\":24,\"frame_step\":8", 5, 121)]
    [InlineData("ltxv-t2v-api.json", "", 6, 144)]
    public void The_samples_validate_and_turn_seconds_into_model_friendly_frames(string sample, string extra, int seconds, int frames)
    {
        var options = ComfyUiOptions.Parse(JsonDocument.Parse(ComfyUiTestKit.SampleOptions(sample, extra)).RootElement, out var error);

        Assert.Null(error);
        Assert.Equal(frames, options!.Frames(seconds));
    }

    [Theory]
    [InlineData(null, "needs options")]
    [InlineData("""{"workflow_path":"/nonexistent/wf.json"}""", "cannot read")]
    [InlineData("""{"workflow":{"1":{"class_type":"A","inputs":{"t":"{{prompt}}"}}},"workflow_path":"x"}""", "exactly one")]
    [InlineData("""{"workflow":{"1":{"class_type":"A","inputs":{"t":"{{prompt}}"}}},"output_node":"9"}""", "output_node")]
    [InlineData("""{"workflow":{"1":{"class_type":"A","inputs":{"t":"{{prompt}}"}}},"fps":0}""", "fps")]
    [InlineData("""{"workflow":{"1":{"class_type":"A","inputs":{"t":"{{prompt}}"}}},"steps":3}""", "unknown option 'steps'")]
    [InlineData("""{"workflow":{"1":{"class_type":"A","inputs":{"t":"{{prompt}}","t":"x"}}}}""", "twice")]
    [InlineData("""{"workflow":{"1":{"class_type":"A","inputs":{"t":"{{prompt}}"}},"1":{"class_type":"B","inputs":{}}}}""", "twice")]
    public void Bad_options_are_refused_when_the_instance_is_saved(string? options, string reason)
    {
        using var kit = new ComfyUiTestKit();

        var error = kit.Type.Validate(UpstreamJobs.Settings("comfyui", new Uri("http://127.0.0.1:8188"), "", options));

        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_seed_is_deterministic_per_task_and_exact_in_json()
    {
        Assert.Equal(ComfyUiProvider.Seed("video_a"), ComfyUiProvider.Seed("video_a"));
        Assert.NotEqual(ComfyUiProvider.Seed("video_a"), ComfyUiProvider.Seed("video_b"));
        Assert.InRange(ComfyUiProvider.Seed("video_a"), 0, (1L << 48) - 1);
    }
}
