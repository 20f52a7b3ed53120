using System.CommandLine;
using Spectre.Console;
using Vidgate.Client;
using Vidgate.Contracts;

namespace Vidgate.Cli;

/// <summary><c>generate</c>, <c>status</c>, <c>list</c>, <c>download</c>, <c>cancel</c>, <c>delete</c>, <c>models</c>.</summary>
internal static class VideoCommands
{
    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(Generate());
        root.Subcommands.Add(Status());
        root.Subcommands.Add(List());
        root.Subcommands.Add(Download());
        root.Subcommands.Add(Cancel());
        root.Subcommands.Add(Delete());
        root.Subcommands.Add(Models());
    }

    private static Command Generate()
    {
        var prompt = new Argument<string>("prompt") { Description = "What the video shows." };
        var seconds = new Option<int?>("--seconds", "-s") { Description = "Length in seconds (default: the model's)." };
        var aspect = new Option<string?>("--aspect", "-a") { Description = "Aspect ratio: 16:9, 9:16, 1:1, 3:2, 2:3 …" };
        var resolution = new Option<string?>("--resolution", "-r") { Description = "480P or 720P (the model's list: vidgate models)." };
        var images = new Option<string[]>("--image", "-i")
        {
            Description = "A reference image (PNG, JPEG, WebP); repeat for several.",
            AllowMultipleArgumentsPerToken = false,
        };
        var model = new Option<string?>("--model", "-m") { Description = "The model (default: the server's)." };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the MP4 (default: ID.mp4)." };
        var noWait = new Option<bool>("--no-wait") { Description = "Only create the video and print its id." };
        var multipart = new Option<bool>("--multipart") { Description = "Upload images as file parts (grok-video-* models) instead of data URIs." };
        var key = new Option<string?>("--idempotency-key") { Description = "Repeat a create safely: the same key answers with the same video." };

        var command = new Command("generate", "Create a video, show its progress, and write the MP4.")
        {
            prompt, seconds, aspect, resolution, images, model, output, noWait, multipart, key,
        };
        command.SetRun(async (parse, client, o, ct) =>
        {
            var files = parse.GetValue(images) ?? [];
            var loaded = new List<VideoImage>();
            foreach (var file in files)
            {
                if (!File.Exists(file))
                {
                    throw new UsageException($"--image '{file}': no such file.");
                }

                loaded.Add(await VideoImage.FromFileAsync(file, ct));
            }

            var created = await client.CreateAsync(
                new VideoCreateRequest(parse.GetValue(prompt)!)
                {
                    Model = parse.GetValue(model),
                    Seconds = parse.GetValue(seconds),
                    AspectRatio = parse.GetValue(aspect),
                    Resolution = parse.GetValue(resolution),
                    Images = loaded,
                    Upload = parse.GetValue(multipart) ? ImageUpload.Multipart : ImageUpload.DataUri,
                    IdempotencyKey = parse.GetValue(key),
                },
                ct);
            o.Note($"created {created.Id} ({created.Model}, {created.Seconds} s, {created.Size} {created.AspectRatio})");
            if (parse.GetValue(noWait))
            {
                Result(o, new VideoFile(created, null, null));
                return ExitCodes.Ok;
            }

            var done = await WaitWithBarAsync(client, o, created.Id, ct);
            if (done.Status != "completed")
            {
                o.Error($"video {done.Id} {done.Status}" + (done.Error is { } e ? $": {e.Code}: {e.Message}" : ""));
                Result(o, new VideoFile(done, null, null), human: false);
                return ExitCodes.VideoFailed;
            }

            var path = parse.GetValue(output) ?? $"{done.Id}.mp4";
            var bytes = await client.DownloadToFileAsync(done.Id, path, ct: ct);
            Result(o, new VideoFile(done, Path.GetFullPath(path), bytes));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Status()
    {
        var id = new Argument<string>("id") { Description = "The video id." };
        var wait = new Option<bool>("--wait", "-w") { Description = "Wait until it is finished (progress on stderr); exit 1 if it failed." };
        var command = new Command("status", "Show a video's status.") { id, wait };
        command.SetRun(async (parse, client, o, ct) =>
        {
            var video = parse.GetValue(wait)
                ? await WaitWithBarAsync(client, o, parse.GetValue(id)!, ct)
                : await client.GetAsync(parse.GetValue(id)!, ct);
            if (o.Json)
            {
                o.WriteJson(video, CliJson.Out.SeedVideo);
            }
            else
            {
                o.Video(video);
            }

            return parse.GetValue(wait) && video.Status != "completed" ? ExitCodes.VideoFailed : ExitCodes.Ok;
        });
        return command;
    }

    private static Command List()
    {
        var limit = new Option<int>("--limit", "-n") { Description = "How many to show, newest first (default 20).", DefaultValueFactory = _ => 20 };
        var all = new Option<bool>("--all") { Description = "Every video (follows the cursor to the end)." };
        limit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--limit must be at least 1.");
            }
        });
        var command = new Command("list", "List your videos, newest first.") { limit, all };
        command.SetRun(async (parse, client, o, ct) =>
        {
            var max = parse.GetValue(all) ? int.MaxValue : parse.GetValue(limit);
            var videos = new List<OpenAiVideo>();
            await foreach (var video in client.ListAsync(pageSize: Math.Min(max, 100), ct: ct))
            {
                videos.Add(video);
                if (videos.Count >= max)
                {
                    break;
                }
            }

            if (o.Json)
            {
                o.WriteJson(videos, CliJson.Out.ListOpenAiVideo);
            }
            else
            {
                o.Table(["id", "status", "progress", "model", "seconds", "size", "created"],
                    videos.Select(v => new[] { v.Id, StatusWord(v), $"{v.Progress}%", v.Model, v.Seconds, v.Size, Output.When(v.CreatedAt) }));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Download()
    {
        var id = new Argument<string>("id") { Description = "The video id." };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write it (default: ID.mp4, ID.webp or ID.jpg)." };
        var variant = new Option<VideoVariant>("--variant") { Description = "video, thumbnail or spritesheet.", DefaultValueFactory = _ => VideoVariant.Video };
        var command = new Command("download", "Download a completed video (resumes if the connection drops).") { id, output, variant };
        command.SetRun(async (parse, client, o, ct) =>
        {
            var which = parse.GetValue(variant);
            var videoId = parse.GetValue(id)!;
            var path = parse.GetValue(output) ?? videoId + which switch { VideoVariant.Thumbnail => ".webp", VideoVariant.Spritesheet => ".jpg", _ => ".mp4" };
            var bytes = await client.DownloadToFileAsync(videoId, path, which, ct);
            if (o.Json)
            {
                o.WriteJson(new VideoFile(await client.GetAsync(videoId, ct), Path.GetFullPath(path), bytes), CliJson.Out.VideoFile);
            }
            else
            {
                o.Line(Path.GetFullPath(path));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Cancel()
    {
        var id = new Argument<string>("id") { Description = "The video id." };
        var command = new Command("cancel", "Cancel a queued or running video.") { id };
        command.SetRun(async (parse, client, o, ct) =>
        {
            var video = await client.CancelAsync(parse.GetValue(id)!, ct);
            if (o.Json)
            {
                o.WriteJson(video, CliJson.Out.SeedVideo);
            }
            else
            {
                o.Video(video);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Delete()
    {
        var id = new Argument<string>("id") { Description = "The video id." };
        var command = new Command("delete", "Delete a video and its files.") { id };
        command.SetRun(async (parse, client, o, ct) =>
        {
            var deleted = await client.DeleteAsync(parse.GetValue(id)!, ct);
            if (o.Json)
            {
                o.WriteJson(deleted, CliJson.Out.VideoDeleted);
            }
            else
            {
                o.Line($"deleted {deleted.Id}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Models()
    {
        var command = new Command("models", "The models your key may use, with their limits.");
        command.SetRun(async (parse, client, o, ct) =>
        {
            var models = await client.ListModelsAsync(ct);
            if (o.Json)
            {
                o.WriteJson(models, CliJson.Out.IReadOnlyListModelInfo);
            }
            else
            {
                o.Table(["model", "seconds", "default", "resolutions", "aspect ratios", "images"],
                    models.Select(m => new[]
                    {
                        m.Id,
                        m.Limits.AllowedSeconds is { Count: > 0 } allowed ? string.Join(",", allowed) : $"{m.Limits.MinSeconds}-{m.Limits.MaxSeconds}",
                        m.Limits.DefaultSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        string.Join(",", m.Limits.Resolutions),
                        string.Join(",", m.Limits.AspectRatios),
                        m.Limits.MaxImages.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    }));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Waits for the end with a live bar on stderr (a plain line per step when stderr is not a terminal).</summary>
    private static async Task<SeedVideo> WaitWithBarAsync(VidgateClient client, Output o, string id, CancellationToken ct)
        => await o.Err.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(id, maxValue: 100);
                var video = await client.WaitForCompletionAsync(id, new BarProgress(task), ct);
                task.Description = $"{id} {video.Status}";
                task.StopTask();
                return video;
            });

    private static void Result(Output o, VideoFile result, bool human = true)
    {
        if (o.Json)
        {
            o.WriteJson(result, CliJson.Out.VideoFile);
        }
        else if (human)
        {
            o.Line(result.File ?? result.Video.Id);
        }
    }

    // The list is in OpenAI's vocabulary; a cancel reads there as failed with the code "cancelled".
    private static string StatusWord(OpenAiVideo video) => video.Status == "failed" && video.Error?.Code == "cancelled" ? "cancelled" : video.Status;

    /// <summary>Moves the bar directly: <see cref="Progress{T}"/> would post to the thread pool and could arrive out of order.</summary>
    private sealed class BarProgress(ProgressTask task) : IProgress<int>
    {
        public void Report(int value) => task.Value = value;
    }
}
