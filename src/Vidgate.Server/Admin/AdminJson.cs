using System.Text.Json.Serialization.Metadata;

namespace Vidgate.Server.Admin;

/// <summary>Admin request bodies: JSON objects, bad JSON or wrong types are a 400 naming the problem.</summary>
internal static class AdminJson
{
    /// <summary>Through the one JSON reader: bad JSON, undecodable strings or wrong types are a 400 naming the problem.</summary>
    public static Task<(T? Body, ApiError? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken ct) where T : class
        => JsonBody.ReadAsync(request, type, ct);

    public static ApiError? Reason(string? reason)
        => string.IsNullOrWhiteSpace(reason) ? ApiError.Invalid("reason", "Give a reason; it is kept in the ledger.", "missing_field")
            : reason.Length > 500 ? ApiError.Invalid("reason", "The reason is longer than 500 characters.") : null;
}
