using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Vidgate.Fakes;

/// <summary>Knobs for <see cref="FakeComfyUi"/>.</summary>
public sealed class FakeComfyUiFaults
{
    public TimeSpan Latency { get; set; }

    /// <summary>How long each prompt occupies the one (fake) GPU.</summary>
    public TimeSpan JobDuration { get; set; }

    /// <summary>Answer <c>POST /prompt</c> with this status (500 …; a 429 carries <c>Retry-After: 7</c>, as a rate-limiting proxy's would).</summary>
    public int? PromptStatus { get; set; }

    public bool ResetPrompt { get; set; }

    /// <summary>Refuse <c>POST /prompt</c> with a 400 <c>{"error":{"message": this}}</c> (a proxy or node pack quoting what it got).</summary>
    public string? PromptError { get; set; }

    /// <summary>
    /// <c>POST /prompt</c> is held without an answer until the client gives up: <see cref="PromptHold.BeforeQueue"/> never
    /// queues it (the request died on the way), <see cref="PromptHold.AfterQueue"/> queues it first (the answer is lost).
    /// A client that crashes meanwhile leaves exactly the window crash reconciliation is for.
    /// </summary>
    public PromptHold? HoldPrompt { get; set; }

    /// <summary>Answer <c>GET /history/{id}</c> with this status (a 429 carries <c>Retry-After: 7</c>).</summary>
    public int? HistoryStatus { get; set; }

    /// <summary>Answer <c>GET /queue</c> with this status (500 …).</summary>
    public int? QueueStatus { get; set; }

    public bool GarbageHistory { get; set; }

    /// <summary>Prompts run from now on fail in this node type with this message (<c>execution_error</c>).</summary>
    public string? ExecutionError { get; set; }

    /// <summary>When set, <c>/ws</c> progress events carry this <c>value</c> (of <c>max</c> 20) instead of the real one, e.g. 25.</summary>
    public int? ProgressValue { get; set; }

    /// <summary><c>/view</c> answers an HTML page instead of the file.</summary>
    public bool ViewNotVideo { get; set; }
}

/// <summary>Where <see cref="FakeComfyUiFaults.HoldPrompt"/> holds a <c>POST /prompt</c>.</summary>
public enum PromptHold
{
    BeforeQueue,
    AfterQueue,
}

/// <summary>
/// ComfyUI's HTTP API as <c>server.py</c> implements it: <c>/upload/image</c>, <c>/prompt</c> (validates class types, links,
/// uploaded images and INT inputs, answering <c>error</c> + <c>node_errors</c>), <c>/queue</c>, <c>/history/{id}</c>,
/// <c>/view</c>, <c>/interrupt</c>. A client-chosen <c>prompt_id</c> is kept (<c>str(json_data.get("prompt_id", uuid.uuid4()))</c>;
/// like ComfyUI, a repeated id is queued again). One fake GPU runs prompts in order; outputs are listed the way the real nodes list them
/// (SaveVideo/SaveWEBM under <c>images</c> with <c>animated</c>, VHS_VideoCombine under <c>gifs</c>).
/// </summary>
public sealed class FakeComfyUi : IAsyncDisposable
{
    /// <summary>Output nodes and the extension of what they write.</summary>
    public static readonly IReadOnlyDictionary<string, string> OutputNodes = new Dictionary<string, string>
    {
        ["SaveVideo"] = ".mp4",
        ["SaveWEBM"] = ".webm",
        ["VHS_VideoCombine"] = ".mp4",
        ["SaveAnimatedWEBP"] = ".webp",
        ["SaveImage"] = ".png",
    };

    private static readonly HashSet<string> KnownNodes =
    [
        .. OutputNodes.Keys, "UNETLoader", "CLIPLoader", "VAELoader", "CheckpointLoaderSimple", "CLIPTextEncode", "CLIPVisionLoader", "CLIPVisionEncode",
        "EmptyHunyuanLatentVideo", "EmptyLTXVLatentVideo", "WanImageToVideo", "LTXVImgToVideo", "LTXVConditioning", "LTXVScheduler", "ModelSamplingSD3",
        "KSampler", "KSamplerAdvanced", "KSamplerSelect", "SamplerCustom", "VAEDecode", "CreateVideo", "LoadImage",
    ];

    private static readonly HashSet<string> IntInputs = ["width", "height", "length", "seed", "noise_seed", "steps", "batch_size"];

    private readonly List<FakePrompt> _prompts = [];
    private readonly Lock _gate = new();
    private readonly TimeProvider _clock;
    private FakeHost _host = null!;
    private int _number;
    private int _held;

    private FakeComfyUi(TimeProvider clock) => _clock = clock;

    public Uri BaseUrl => _host.BaseUrl;

    public FakeComfyUiFaults Faults { get; } = new();

    /// <summary>Files in ComfyUI's input folder, by the name <c>LoadImage</c> uses (<c>sub/name.png</c>).</summary>
    public ConcurrentDictionary<string, byte[]> Inputs { get; } = new();

    /// <summary>Every accepted <c>POST /prompt</c> body's <c>prompt</c>, by prompt id.</summary>
    public ConcurrentDictionary<string, JsonObject> Submitted { get; } = new();

    /// <summary><c>POST /prompt</c> requests held by <see cref="FakeComfyUiFaults.HoldPrompt"/>.</summary>
    public int Held
    {
        get
        {
            lock (_gate)
            {
                return _held;
            }
        }
    }

    /// <summary>How many prompts were queued (a repeated prompt id counts each time).</summary>
    public int Queued
    {
        get
        {
            lock (_gate)
            {
                return _number;
            }
        }
    }

    public ConcurrentQueue<string> ClientIds { get; } = new();

    public ConcurrentQueue<string> Calls { get; } = new();

    public int Interrupts { get; private set; }

    public static async Task<FakeComfyUi> StartAsync(TimeProvider? clock = null, int port = 0)
    {
        var fake = new FakeComfyUi(clock ?? TimeProvider.System);
        fake._host = await FakeHost.StartAsync(fake.Map, port);
        return fake;
    }

    /// <summary>Sets how long each prompt runs (for the command line runner).</summary>
    public FakeComfyUi WithDuration(TimeSpan duration)
    {
        Faults.JobDuration = duration;
        return this;
    }

    /// <summary>ComfyUI restarted: queue and history (kept in memory) are gone.</summary>
    public void Restart()
    {
        lock (_gate)
        {
            _prompts.Clear();
        }
    }

    private void Map(WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            Calls.Enqueue($"{http.Request.Method} {http.Request.Path}");
            await Task.Delay(Faults.Latency, http.RequestAborted);
            await next(http);
        });
        app.UseWebSockets();
        app.Map("/ws", (Delegate)SocketAsync);
        app.MapPost("/upload/image", (Delegate)UploadAsync);
        app.MapPost("/prompt", (Delegate)PromptAsync);
        app.MapGet("/history/{id}", (HttpContext http, string id) => History(http, id));
        app.MapGet("/queue", () => Faults.QueueStatus is { } status ? Results.Text("error", "text/plain", statusCode: status) : Results.Json(Queue()));
        app.MapPost("/queue", (Delegate)DeleteAsync);
        app.MapPost("/interrupt", (Delegate)InterruptAsync);
        app.MapGet("/view", View);
    }

    /// <summary>
    /// <c>/ws?clientId=</c>: a <c>status</c> event on connect, then <c>progress {value, max: 20, prompt_id, node}</c> for the
    /// running prompt of that client (as ComfyUI sends them only to the prompt's client), plus a binary preview frame.
    /// </summary>
    private async Task<IResult> SocketAsync(HttpContext http)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            return Results.BadRequest();
        }

        var clientId = http.Request.Query["clientId"].ToString();
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        var ct = http.RequestAborted;
        await SendAsync(socket, new JsonObject { ["type"] = "status", ["data"] = new JsonObject { ["status"] = new JsonObject { ["exec_info"] = new JsonObject { ["queue_remaining"] = 0 } }, ["sid"] = clientId } }, ct);
        var last = (Id: "", Value: -1);
        try
        {
            while (socket.State == System.Net.WebSockets.WebSocketState.Open && !ct.IsCancellationRequested)
            {
                var running = Snapshot().FirstOrDefault(p => p.State == "running");
                if (running.Prompt is { } prompt && prompt.Body["client_id"]?.ToString() == clientId && prompt.Duration > TimeSpan.Zero)
                {
                    var value = Faults.ProgressValue ?? (int)(Math.Clamp((_clock.GetUtcNow() - running.Start) / prompt.Duration, 0, 1) * 20);
                    if ((prompt.Id, value) != last)
                    {
                        last = (prompt.Id, value);
                        await socket.SendAsync(new byte[] { 0, 0, 0, 1, 0xFF, 0xD8 }, System.Net.WebSockets.WebSocketMessageType.Binary, true, ct);
                        await SendAsync(socket, new JsonObject { ["type"] = "progress", ["data"] = new JsonObject { ["value"] = value, ["max"] = 20, ["prompt_id"] = prompt.Id, ["node"] = "3" } }, ct);
                    }
                }

                await Task.Delay(25, ct);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Net.WebSockets.WebSocketException)
        {
            // The client went away or the fake is stopping.
        }

        return Results.Empty;
    }

    private static Task SendAsync(System.Net.WebSockets.WebSocket socket, JsonObject message, CancellationToken ct) =>
        socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(message.ToJsonString()), System.Net.WebSockets.WebSocketMessageType.Text, true, ct);

    private async Task<IResult> UploadAsync(HttpContext http)
    {
        var form = await http.Request.ReadFormAsync();
        if (form.Files["image"] is not { } file)
        {
            return Results.BadRequest();
        }

        var subfolder = form["subfolder"].ToString();
        var name = Path.GetFileName(file.FileName);
        var key = subfolder.Length > 0 ? $"{subfolder}/{name}" : name;
        if (Inputs.ContainsKey(key) && form["overwrite"].ToString() != "true")
        {
            // server.py appends " (n)" before the extension rather than overwrite.
            name = $"{Path.GetFileNameWithoutExtension(name)} (1){Path.GetExtension(name)}";
            key = subfolder.Length > 0 ? $"{subfolder}/{name}" : name;
        }

        using var bytes = new MemoryStream();
        await file.CopyToAsync(bytes);
        Inputs[key] = bytes.ToArray();
        return Results.Json(new { name, subfolder, type = form["type"].FirstOrDefault() ?? "input" });
    }

    private async Task<IResult> PromptAsync(HttpContext http)
    {
        if (Faults.ResetPrompt)
        {
            http.Abort();
            return Results.Empty;
        }

        if (Faults.PromptStatus is { } status)
        {
            RateLimited(http, status);
            return Results.Text("500 Internal Server Error", "text/plain", statusCode: status);
        }

        if (Faults.PromptError is { } refused)
        {
            return Results.Json(new JsonObject { ["error"] = new JsonObject { ["type"] = "invalid_prompt", ["message"] = refused }, ["node_errors"] = new JsonObject() }, statusCode: 400);
        }

        var body = await JsonNode.ParseAsync(http.Request.Body) as JsonObject;
        if (body?["prompt"] is not JsonObject prompt)
        {
            return Results.Json(new JsonObject { ["error"] = "no prompt", ["node_errors"] = new JsonArray() }, statusCode: 400);
        }

        if (Validate(prompt) is { } refusal)
        {
            return Results.Json(refusal, statusCode: 400);
        }

        var hold = Faults.HoldPrompt;
        if (hold is not null)
        {
            lock (_gate)
            {
                _held++;
            }
        }

        if (hold == PromptHold.BeforeQueue)
        {
            await HoldAsync(http.RequestAborted);
            return Results.Empty;
        }

        // str(json_data.get("prompt_id", uuid.uuid4())): kept as given (Python's str(None) for an explicit null).
        var id = !body.TryGetPropertyValue("prompt_id", out var chosen) ? Guid.NewGuid().ToString() : chosen?.ToString() ?? "None";
        ClientIds.Enqueue(body["client_id"]?.GetValue<string>() ?? "");
        Submitted[id] = prompt;
        int number;
        lock (_gate)
        {
            number = _number++;
            _prompts.Add(new FakePrompt(id, number, (JsonObject)body.DeepClone(), _clock.GetUtcNow(), Faults.JobDuration, Faults.ExecutionError));
        }

        if (hold == PromptHold.AfterQueue)
        {
            await HoldAsync(http.RequestAborted);
            return Results.Empty;
        }

        return Results.Json(new JsonObject { ["prompt_id"] = id, ["number"] = number, ["node_errors"] = new JsonObject() });
    }

    /// <summary>Waits until the client goes away (or the fake stops).</summary>
    private static async Task HoldAsync(CancellationToken aborted)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, aborted);
        }
        catch (OperationCanceledException)
        {
            // The client gave up (timeout, crash): nothing is answered.
        }
    }

    private JsonObject? Validate(JsonObject prompt)
    {
        var nodeErrors = new JsonObject();
        foreach (var (id, value) in prompt)
        {
            var type = value?["class_type"]?.GetValue<string>();
            if (type is null || !KnownNodes.Contains(type))
            {
                return Refusal("invalid_prompt", $"Cannot execute because node {type} does not exist.", $"Node ID '#{id}'", []);
            }
        }

        if (!prompt.Any(p => OutputNodes.ContainsKey(p.Value!["class_type"]!.GetValue<string>())))
        {
            return Refusal("prompt_no_outputs", "Prompt has no outputs", "", []);
        }

        foreach (var (id, value) in prompt)
        {
            foreach (var (input, arg) in value!["inputs"]!.AsObject())
            {
                string? error = arg switch
                {
                    JsonArray link when link.Count == 2 && !prompt.ContainsKey(link[0]!.ToString()) => $"Required input is missing: {input} (node {link[0]} does not exist)",
                    JsonValue v when IntInputs.Contains(input) && v.GetValueKind() == JsonValueKind.String && !long.TryParse(v.GetValue<string>(), out _)
                        => $"Failed to convert an input value to a INT value: {input}, {v.GetValue<string>()}",
                    JsonValue v when input == "image" && value["class_type"]!.GetValue<string>() == "LoadImage" && !Inputs.ContainsKey(v.ToString())
                        => $"Invalid image file: {v}",
                    _ => null,
                };
                if (error is not null)
                {
                    nodeErrors[id] = new JsonObject
                    {
                        ["errors"] = new JsonArray(new JsonObject { ["type"] = "value_not_valid", ["message"] = "Value not valid", ["details"] = error, ["extra_info"] = new JsonObject() }),
                        ["dependent_outputs"] = new JsonArray(),
                        ["class_type"] = value["class_type"]!.GetValue<string>(),
                    };
                }
            }
        }

        return nodeErrors.Count == 0 ? null : Refusal("prompt_outputs_failed_validation", "Prompt outputs failed validation", "", nodeErrors);
    }

    private static void RateLimited(HttpContext http, int status)
    {
        if (status == 429)
        {
            http.Response.Headers.RetryAfter = "7";
        }
    }

    private static JsonObject Refusal(string type, string message, string details, JsonObject nodeErrors) => new()
    {
        ["error"] = new JsonObject { ["type"] = type, ["message"] = message, ["details"] = details, ["extra_info"] = new JsonObject() },
        ["node_errors"] = nodeErrors,
    };

    private IResult History(HttpContext http, string id)
    {
        if (Faults.HistoryStatus is { } status)
        {
            RateLimited(http, status);
            return Results.Text("error", "text/plain", statusCode: status);
        }

        if (Faults.GarbageHistory)
        {
            return Results.Text("{\"" + id, "application/json");
        }

        var prompt = Snapshot().FirstOrDefault(p => p.Prompt.Id == id && p.State == "done");
        return Results.Json(prompt.Prompt is null ? new JsonObject() : new JsonObject { [id] = Entry(prompt.Prompt, prompt.Interrupted) });
    }

    private JsonObject Entry(FakePrompt prompt, bool interrupted)
    {
        var graph = prompt.Body["prompt"]!.AsObject();
        var outputs = new JsonObject();
        var messages = new JsonArray(new JsonArray("execution_start", new JsonObject { ["prompt_id"] = prompt.Id }));
        var failed = interrupted || prompt.Error is not null;
        if (interrupted)
        {
            messages.Add(new JsonArray("execution_interrupted", new JsonObject { ["prompt_id"] = prompt.Id, ["node_id"] = "3", ["node_type"] = "KSampler" }));
        }
        else if (prompt.Error is { } error)
        {
            messages.Add(new JsonArray("execution_error", new JsonObject
            {
                ["prompt_id"] = prompt.Id,
                ["node_id"] = "3",
                ["node_type"] = "KSampler",
                ["exception_message"] = error + "\n",
                ["exception_type"] = "torch.OutOfMemoryError",
                ["traceback"] = new JsonArray("Traceback (most recent call last):\n"),
            }));
        }
        else
        {
            var index = 1;
            foreach (var (id, node) in graph)
            {
                var type = node!["class_type"]!.GetValue<string>();
                if (!OutputNodes.TryGetValue(type, out var extension))
                {
                    continue;
                }

                var prefix = node["inputs"]?["filename_prefix"]?.ToString() ?? "ComfyUI";
                var subfolder = Path.GetDirectoryName(prefix)?.Replace('\\', '/') ?? "";
                var file = new JsonObject { ["filename"] = $"{Path.GetFileName(prefix)}_{index++:00000}_{extension}", ["subfolder"] = subfolder, ["type"] = "output" };
                outputs[id] = type == "VHS_VideoCombine"
                    ? new JsonObject { ["gifs"] = new JsonArray(file.DeepClone()) }
                    : new JsonObject { ["images"] = new JsonArray(file.DeepClone()), ["animated"] = new JsonArray(type != "SaveImage") };
            }

            messages.Add(new JsonArray("execution_success", new JsonObject { ["prompt_id"] = prompt.Id }));
        }

        return new JsonObject
        {
            ["prompt"] = new JsonArray(prompt.Number, prompt.Id, graph.DeepClone(), ExtraData(prompt.Body), new JsonArray()),
            ["outputs"] = outputs,
            ["status"] = new JsonObject { ["status_str"] = failed ? "error" : "success", ["completed"] = !failed, ["messages"] = messages },
            ["meta"] = new JsonObject(),
        };
    }

    private JsonObject Queue()
    {
        JsonArray Items(string state) => new([.. Snapshot().Where(p => p.State == state)
            .Select(p => (JsonNode)new JsonArray(p.Prompt.Number, p.Prompt.Id, p.Prompt.Body["prompt"]!.DeepClone(), ExtraData(p.Prompt.Body), new JsonArray()))]);
        return new JsonObject { ["queue_running"] = Items("running"), ["queue_pending"] = Items("pending") };
    }

    /// <summary>The queue item's <c>extra_data</c>: the client's, plus its <c>client_id</c> (server.py adds it).</summary>
    private static JsonObject ExtraData(JsonObject body)
    {
        var extra = body["extra_data"]?.DeepClone() as JsonObject ?? new JsonObject();
        if (body["client_id"] is { } clientId)
        {
            extra["client_id"] = clientId.DeepClone();
        }

        return extra;
    }

    private async Task<IResult> DeleteAsync(HttpContext http)
    {
        var body = await JsonNode.ParseAsync(http.Request.Body);
        var pending = Snapshot().Where(p => p.State == "pending").Select(p => p.Prompt.Id).ToHashSet();
        lock (_gate)
        {
            foreach (var id in body?["delete"]?.AsArray().Select(n => n!.GetValue<string>()) ?? [])
            {
                if (pending.Contains(id))
                {
                    _prompts.RemoveAll(p => p.Id == id);
                }
            }
        }

        return Results.Ok();
    }

    private async Task<IResult> InterruptAsync(HttpContext http)
    {
        var only = http.Request.ContentLength > 0 ? (await JsonNode.ParseAsync(http.Request.Body))?["prompt_id"]?.GetValue<string>() : null;
        var running = Snapshot().FirstOrDefault(p => p.State == "running");
        if (running.Prompt is not null && (only is null || only == running.Prompt.Id))
        {
            running.Prompt.InterruptedAt = _clock.GetUtcNow();
            Interrupts++;
        }

        return Results.Ok();
    }

    private IResult View(string filename, string? subfolder, string? type)
    {
        var known = Snapshot().Where(p => p.State == "done").Any(p => Entry(p.Prompt, p.Interrupted)["outputs"]!.AsObject()
            .SelectMany(o => o.Value!.AsObject().Where(l => l.Value is JsonArray).SelectMany(l => l.Value!.AsArray()))
            .Any(f => f!["filename"]!.ToString() == filename && f["subfolder"]!.ToString() == (subfolder ?? "") && f["type"]!.ToString() == (type ?? "output")));
        if (!known)
        {
            return Results.NotFound();
        }

        if (Faults.ViewNotVideo)
        {
            return Results.Content("<html>not here</html>", "text/html");
        }

        return Path.GetExtension(filename) switch
        {
            ".mp4" => Results.Bytes(FakeMedia.SmallMp4, "video/mp4"),
            ".webm" => Results.Bytes(FakeMedia.SmallMp4, "video/webm"),
            _ => Results.Bytes([0x89, 0x50, 0x4E, 0x47], "image/png"),
        };
    }

    /// <summary>Where every prompt is now: one GPU, in submit order; an interrupt ends the running one early.</summary>
    private List<(FakePrompt Prompt, string State, bool Interrupted, DateTimeOffset Start)> Snapshot()
    {
        var now = _clock.GetUtcNow();
        var free = DateTimeOffset.MinValue;
        var result = new List<(FakePrompt, string, bool, DateTimeOffset)>();
        lock (_gate)
        {
            foreach (var prompt in _prompts)
            {
                var start = prompt.SubmittedAt > free ? prompt.SubmittedAt : free;
                var end = prompt.InterruptedAt ?? start + prompt.Duration;
                result.Add((prompt, now < start ? "pending" : now < end ? "running" : "done", prompt.InterruptedAt is not null, start));
                free = end;
            }
        }

        return result;
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private sealed record FakePrompt(string Id, int Number, JsonObject Body, DateTimeOffset SubmittedAt, TimeSpan Duration, string? Error)
    {
        public DateTimeOffset? InterruptedAt { get; set; }
    }
}
