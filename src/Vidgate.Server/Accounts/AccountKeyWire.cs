using System.Text.Json.Serialization;

namespace Vidgate.Server.Accounts;

/// <summary>
/// A key of the caller's account as <c>/v1/account/keys</c> lists it: never the secret. <see cref="LastUsedAt"/> is the
/// last time it created a video (null: never); <see cref="Current"/> marks the key this request came with.
/// </summary>
internal sealed record AccountKeyInfo(
    string Id, string Object, string Name, string Prefix, long CreatedAt, long? RevokedAt, long? LastUsedAt, long? ExpiresAt,
    int? RequestsPerMinute, IReadOnlyList<string>? AllowedModels, IReadOnlyList<string>? AllowedIps, bool Current);

internal sealed record AccountKeyList(string Object, IReadOnlyList<AccountKeyInfo> Data);

/// <summary>Returned once, at creation: <see cref="Key"/> is the secret and is never shown again.</summary>
internal sealed record AccountKeyCreated(
    string Id, string Object, string Name, string Prefix, long CreatedAt, long? ExpiresAt, int? RequestsPerMinute,
    IReadOnlyList<string>? AllowedModels, IReadOnlyList<string>? AllowedIps, string Key);

/// <summary><c>POST /v1/account/keys</c>: a name, and optionally narrower limits than the caller's own key.</summary>
internal sealed record CreateAccountKeyRequest(
    string? Name, int? RequestsPerMinute = null, long? ExpiresAt = null, IReadOnlyList<string>? AllowedModels = null, IReadOnlyList<string>? AllowedIps = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AccountKeyList))]
[JsonSerializable(typeof(AccountKeyCreated))]
[JsonSerializable(typeof(AccountKeyInfo))]
[JsonSerializable(typeof(CreateAccountKeyRequest))]
internal sealed partial class AccountKeyJson : JsonSerializerContext;
