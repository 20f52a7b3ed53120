using System.IO.Pipelines;
using System.Text;
using Vidgate.Server.Providers.Http;

namespace Vidgate.Tests.Providers.Http;

/// <summary>Whatever an upstream answers, reading it as JSON gives a value (possibly "not JSON"), never an exception.</summary>
public sealed class TolerantJsonTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<(string Text, System.Text.Json.JsonElement? Json)> ReadAsync(byte[] body, int max = TolerantJson.MaxBytes)
        => TolerantJson.ReadAsync(new ByteArrayContent(body), max, Ct);

    [Fact]
    public async Task A_json_object_is_read_whole()
    {
        var (text, json) = await ReadAsync("""{"status":"pending","progress":30}"""u8.ToArray());

        Assert.Equal("pending", json!.Value.GetProperty("status").GetString());
        Assert.Contains("progress", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<html>502 Bad Gateway</html>")]
    [InlineData("{\"status\": \"pend")]
    [InlineData("")]
    [InlineData("{\"error\":\"\\ud800\"}")]
    [InlineData("{\"\\udc00\":1}")]
    public async Task Garbage_truncated_empty_and_undecodable_bodies_are_not_json(string body)
    {
        var (_, json) = await ReadAsync(Encoding.UTF8.GetBytes(body));

        Assert.Null(json);
    }

    [Fact]
    public async Task Invalid_utf8_inside_a_string_reads_as_replacement_characters_not_an_exception()
    {
        byte[] body = [.. "{\"error\":\"bad "u8, 0xFF, 0xFE, .. " bytes\"}"u8];

        var (_, json) = await ReadAsync(body);

        Assert.Contains('\uFFFD', json!.Value.GetProperty("error").GetString()!);
    }

    [Fact]
    public async Task A_body_over_the_cap_is_not_read_into_memory_as_json()
    {
        var big = Encoding.UTF8.GetBytes("{\"a\":\"" + new string('x', 5000) + "\"}");

        var (text, json) = await ReadAsync(big, max: 1000);

        // Chunked: no Content-Length to refuse up front, so the read itself stops past the cap.
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(big, Ct);
        await pipe.Writer.CompleteAsync();
        using var chunked = new StreamContent(pipe.Reader.AsStream());
        var (_, streamed) = await TolerantJson.ReadAsync(chunked, 1000, Ct);

        Assert.Null(json);
        Assert.Equal("", text);
        Assert.Null(chunked.Headers.ContentLength);
        Assert.Null(streamed);
        Assert.NotNull((await ReadAsync(big, max: big.Length)).Json);
    }

    [Fact]
    public void A_byte_order_mark_is_skipped()
    {
        Assert.NotNull(TolerantJson.Parse("\uFEFF{\"id\":\"x\"}"));
    }
}
