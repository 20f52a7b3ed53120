using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Vidgate.Server.Hosting;

namespace Vidgate.Server.Admin;

/// <summary>Admin request bodies: JSON objects, bad JSON or wrong types are a 400 naming the problem.</summary>
internal static class AdminJson
{
    public static async Task<(T? Body, ApiError? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken ct) where T : class
    {
        try
        {
            var body = await JsonSerializer.DeserializeAsync(request.Body, type, ct);
            return body is null ? (null, ApiError.Invalid("body", "Send a JSON object.", "invalid_json")) : (body, null);
        }
        catch (JsonException ex)
        {
            return (null, ApiError.Invalid("body", "The body is not valid JSON for this route: " + ex.Message, "invalid_json"));
        }
    }

    public static ApiError? Reason(string? reason)
        => string.IsNullOrWhiteSpace(reason) ? ApiError.Invalid("reason", "Give a reason; it is kept in the ledger.", "missing_field")
            : reason.Length > 500 ? ApiError.Invalid("reason", "The reason is longer than 500 characters.") : null;
}
