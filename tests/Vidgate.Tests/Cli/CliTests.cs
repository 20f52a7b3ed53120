using System.IO.Compression;
using System.Text.Json;
using Vidgate.Tests.Client;
using Vidgate.Tests.Support;

namespace Vidgate.Tests.Cli;

/// <summary>The built <c>vidgate</c> CLI as a process against a real server: outputs, files and exit codes scripts rely on.</summary>
public sealed class CliTests(ClientServer server) : IClassFixture<ClientServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] On(string key, params string[] args) => [.. args, "--url", server.BaseUrl.ToString(), "--key", key];

    [Fact]
    public async Task Generate_writes_a_valid_mp4_and_exits_0_and_its_json_parses()
    {
        var key = await server.NewKeyAsync(Ct);
        var dir = Directory.CreateTempSubdirectory("vidgate-cli-").FullName;
        try
        {
            var path = Path.Combine(dir, "out.mp4");
            // The server and key from the environment, as a user's shell profile would set them.
            var run = await CliRunner.RunAsync(
                ["generate", "a forest at dawn, camera slowly moving forward", "--seconds", "1", "--aspect", "16:9", "--resolution", "480P", "-o", path, "--json"],
                new Dictionary<string, string> { ["VIDGATE_URL"] = server.BaseUrl.ToString(), ["VIDGATE_KEY"] = key });

            Assert.True(run.ExitCode == 0, run.ToString());
            using var json = JsonDocument.Parse(run.Stdout);
            var video = json.RootElement.GetProperty("video");
            Assert.Equal("completed", video.GetProperty("status").GetString());
            Assert.Equal(100, video.GetProperty("progress").GetInt32());
            Assert.Equal(path, json.RootElement.GetProperty("file").GetString());
            Assert.Equal(new FileInfo(path).Length, json.RootElement.GetProperty("bytes").GetInt64());
            Assert.Contains("created " + video.GetProperty("id").GetString(), run.Stderr, StringComparison.Ordinal);

            var probe = await Ffprobe.ProbeAsync(path, Ct);
            Assert.Equal("h264", probe.CodecName);
            Assert.Equal(480, probe.Height);
            Assert.Equal(24, probe.Frames);

            // Without --json: the path of the file is what stdout holds.
            var human = await CliRunner.RunAsync(On(key, "generate", "snow falling in a city at night", "--seconds", "1", "--resolution", "480P", "-o", Path.Combine(dir, "b.mp4")));
            Assert.True(human.ExitCode == 0, human.ToString());
            Assert.Equal(Path.Combine(dir, "b.mp4"), human.Stdout.Trim());
            Assert.Equal(24, (await Ffprobe.ProbeAsync(Path.Combine(dir, "b.mp4"), Ct)).Frames);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Status_list_download_cancel_and_delete_work_on_one_video_with_json_output()
    {
        var key = await server.NewKeyAsync(Ct);
        var created = await CliRunner.RunAsync(On(key, "generate", "an ocean at sunset", "--seconds", "1", "--resolution", "480P", "--no-wait", "--json"));
        Assert.True(created.ExitCode == 0, created.ToString());
        var id = JsonDocument.Parse(created.Stdout).RootElement.GetProperty("video").GetProperty("id").GetString()!;

        var waited = await CliRunner.RunAsync(On(key, "status", id, "--wait", "--json"));
        Assert.True(waited.ExitCode == 0, waited.ToString());
        Assert.Equal("completed", JsonDocument.Parse(waited.Stdout).RootElement.GetProperty("status").GetString());

        var list = await CliRunner.RunAsync(On(key, "list", "--json"));
        Assert.True(list.ExitCode == 0, list.ToString());
        var listed = JsonDocument.Parse(list.Stdout).RootElement;
        Assert.Equal(JsonValueKind.Array, listed.ValueKind);
        Assert.Equal(id, Assert.Single(listed.EnumerateArray()).GetProperty("id").GetString());

        var dir = Directory.CreateTempSubdirectory("vidgate-cli-dl-").FullName;
        try
        {
            var download = await CliRunner.RunAsync(On(key, "download", id, "-o", Path.Combine(dir, "v.mp4")));
            Assert.True(download.ExitCode == 0, download.ToString());
            Assert.Equal(24, (await Ffprobe.ProbeAsync(Path.Combine(dir, "v.mp4"), Ct)).Frames);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        var cancel = await CliRunner.RunAsync(On(key, "cancel", id, "--json"));
        Assert.Equal(2, cancel.ExitCode);
        Assert.Contains("video_already_finished", cancel.Stderr, StringComparison.Ordinal);
        Assert.Equal("video_already_finished", JsonDocument.Parse(cancel.Stdout).RootElement.GetProperty("error").GetProperty("code").GetString());

        var delete = await CliRunner.RunAsync(On(key, "delete", id, "--json"));
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.True(JsonDocument.Parse(delete.Stdout).RootElement.GetProperty("deleted").GetBoolean());

        var gone = await CliRunner.RunAsync(On(key, "status", id));
        Assert.Equal(2, gone.ExitCode);
        Assert.Contains("video_not_found", gone.Stderr, StringComparison.Ordinal);
        Assert.Empty(gone.Stdout);
    }

    [Fact]
    public async Task Cancel_of_a_running_generation_by_another_command_makes_generate_exit_1()
    {
        var key = await server.NewKeyAsync(Ct);
        var created = await CliRunner.RunAsync(On(key, "generate", "a long city street", "--seconds", "15", "--resolution", "720P", "--no-wait", "--json"));
        var id = JsonDocument.Parse(created.Stdout).RootElement.GetProperty("video").GetProperty("id").GetString()!;

        var cancel = await CliRunner.RunAsync(On(key, "cancel", id, "--json"));
        Assert.True(cancel.ExitCode == 0, cancel.ToString());
        Assert.Equal("cancelled", JsonDocument.Parse(cancel.Stdout).RootElement.GetProperty("status").GetString());

        var status = await CliRunner.RunAsync(On(key, "status", id, "--wait"));
        Assert.Equal(1, status.ExitCode);
        Assert.Contains("cancelled", status.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_usage_exits_2_with_the_reason_on_stderr_and_nothing_on_stdout()
    {
        var badFlag = await CliRunner.RunAsync(["generate", "a prompt", "--seconds", "six", "--url", server.BaseUrl.ToString()]);
        Assert.Equal(2, badFlag.ExitCode);
        Assert.Contains("six", badFlag.Stderr, StringComparison.Ordinal);
        Assert.Empty(badFlag.Stdout);

        var unknown = await CliRunner.RunAsync(["generate", "a prompt", "--frobnicate"]);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("--frobnicate", unknown.Stderr, StringComparison.Ordinal);

        var noPrompt = await CliRunner.RunAsync(["generate"]);
        Assert.Equal(2, noPrompt.ExitCode);

        var missingImage = await CliRunner.RunAsync(On("k", "generate", "a prompt", "--image", "/nonexistent/a.png"));
        Assert.Equal(2, missingImage.ExitCode);
        Assert.Contains("/nonexistent/a.png", missingImage.Stderr, StringComparison.Ordinal);

        var badUrl = await CliRunner.RunAsync(["list", "--url", "not a url"]);
        Assert.Equal(2, badUrl.ExitCode);
        Assert.Contains("--url", badUrl.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_request_exits_2_naming_the_field_and_json_carries_the_error_envelope()
    {
        var key = await server.NewKeyAsync(Ct);
        var run = await CliRunner.RunAsync(On(key, "generate", "a prompt", "--seconds", "0", "--json"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("seconds", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
        var error = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("error");
        Assert.Equal("invalid_seconds", error.GetProperty("code").GetString());
        Assert.Equal("seconds", error.GetProperty("param").GetString());

        var badKey = await CliRunner.RunAsync(On("vg_wrong", "models"));
        Assert.Equal(2, badKey.ExitCode);
        Assert.Contains("401", badKey.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_down_exits_2_with_a_message_and_no_stack_trace()
    {
        var url = $"http://127.0.0.1:{ServerProcess.FreePort()}";
        var run = await CliRunner.RunAsync(["generate", "a prompt", "--url", url, "--key", "k"]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"cannot reach {url}", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(run.Stdout);
    }

    [Fact]
    public async Task Admin_commands_create_a_key_list_accounts_and_top_up()
    {
        var admin = VidgateApp.AdminKey;
        var created = await CliRunner.RunAsync(On(admin, "keys", "create", "cli-test-key", "--json"));
        Assert.True(created.ExitCode == 0, created.ToString());
        var key = JsonDocument.Parse(created.Stdout).RootElement;
        var accountId = key.GetProperty("account_id").GetString()!;
        Assert.StartsWith("vg_", key.GetProperty("key").GetString(), StringComparison.Ordinal);

        var models = await CliRunner.RunAsync(On(key.GetProperty("key").GetString()!, "models", "--json"));
        Assert.True(models.ExitCode == 0, models.ToString());
        Assert.Contains(JsonDocument.Parse(models.Stdout).RootElement.EnumerateArray(), m => m.GetProperty("id").GetString() == "grok-imagine-video");

        var before = JsonDocument.Parse((await CliRunner.RunAsync(On(admin, "accounts", "show", accountId, "--json"))).Stdout).RootElement.GetProperty("balance_micros").GetInt64();
        var topUp = await CliRunner.RunAsync(On(admin, "top-up", accountId, "1.5", "--reason", "cli test", "--json"));
        Assert.True(topUp.ExitCode == 0, topUp.ToString());
        Assert.Equal(before + 1_500_000, JsonDocument.Parse(topUp.Stdout).RootElement.GetProperty("balance_micros").GetInt64());

        var accounts = await CliRunner.RunAsync(On(admin, "accounts", "--json"));
        Assert.Contains(JsonDocument.Parse(accounts.Stdout).RootElement.EnumerateArray(), a => a.GetProperty("id").GetString() == accountId);

        var keys = await CliRunner.RunAsync(On(admin, "keys"));
        Assert.True(keys.ExitCode == 0, keys.ToString());
        Assert.Contains("cli-test-key", keys.Stdout, StringComparison.Ordinal);

        var tooPrecise = await CliRunner.RunAsync(On(admin, "top-up", accountId, "0.0000001"));
        Assert.Equal(2, tooPrecise.ExitCode);

        var notAdmin = await CliRunner.RunAsync(On(key.GetProperty("key").GetString()!, "routes"));
        Assert.Equal(2, notAdmin.ExitCode);
        Assert.Contains("403", notAdmin.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Both_projects_pack_the_client_with_readme_docs_and_contracts_the_cli_as_a_dotnet_tool()
    {
        var output = Directory.CreateTempSubdirectory("vidgate-pack-").FullName;
        try
        {
            foreach (var project in (string[])["src/Vidgate.Client/Vidgate.Client.csproj", "src/Vidgate.Cli/Vidgate.Cli.csproj"])
            {
                var pack = await DotnetAsync(["pack", Path.Combine(CliRunner.RepoRoot, project), "-c", CliRunner.Configuration, "--no-build", "-o", output, "-nologo", "-v", "quiet"]);
                Assert.True(pack.ExitCode == 0, pack.ToString());
            }

            using (var client = ZipFile.OpenRead(Path.Combine(output, "Vidgate.Client.0.1.0.nupkg")))
            {
                var entries = client.Entries.Select(e => e.FullName).ToList();
                Assert.Contains("README.md", entries);
                Assert.Contains("lib/net10.0/Vidgate.Client.dll", entries);
                Assert.Contains("lib/net10.0/Vidgate.Client.xml", entries);
                Assert.Contains("lib/net10.0/Vidgate.Contracts.dll", entries);
                using var nuspec = new StreamReader(client.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
                var text = await nuspec.ReadToEndAsync(Ct);
                // Contracts travels inside the package: no dependency on a package that is not published.
                Assert.DoesNotContain("Vidgate.Contracts", text, StringComparison.Ordinal);
                Assert.Contains("<readme>README.md</readme>", text, StringComparison.Ordinal);
            }

            using var tool = ZipFile.OpenRead(Path.Combine(output, "Vidgate.Cli.0.1.0.nupkg"));
            var settings = tool.Entries.Single(e => e.FullName.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal));
            using var reader = new StreamReader(settings.Open());
            Assert.Contains("Name=\"vidgate\"", await reader.ReadToEndAsync(Ct), StringComparison.Ordinal);
            Assert.Contains(tool.Entries, e => e.FullName.EndsWith("/Vidgate.Cli.dll", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static async Task<CliRun> DotnetAsync(string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = CliRunner.RepoRoot };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>A video that fails on the server makes <c>generate</c> exit 1, and says why.</summary>
public sealed class CliFailedVideoTests(FailingRenderServer failing) : IClassFixture<FailingRenderServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_failing_video_exits_1_with_its_error_and_writes_no_file()
    {
        var server = failing.Inner;
        var key = await server.NewKeyAsync(Ct);
        var dir = Directory.CreateTempSubdirectory("vidgate-cli-fail-").FullName;
        try
        {
            var path = Path.Combine(dir, "out.mp4");
            var run = await CliRunner.RunAsync(
                ["generate", "a prompt", "--seconds", "1", "--resolution", "480P", "-o", path, "--json", "--url", server.BaseUrl.ToString(), "--key", key]);

            Assert.True(run.ExitCode == 1, run.ToString());
            Assert.Contains("failed", run.Stderr, StringComparison.Ordinal);
            Assert.Contains("render_failed", run.Stderr, StringComparison.Ordinal);
            var video = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("video");
            Assert.Equal("failed", video.GetProperty("status").GetString());
            Assert.Equal("render_failed", video.GetProperty("error").GetProperty("code").GetString());
            Assert.False(File.Exists(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
