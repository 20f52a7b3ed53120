using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vidgate.Contracts;

/// <summary>Source-generated snake_case serialization for every wire type. Nulls are written: clients rely on fields being present.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(SeedVideo))]
[JsonSerializable(typeof(VideoDeleted))]
[JsonSerializable(typeof(OpenAiVideo))]
[JsonSerializable(typeof(OpenAiVideoList))]
[JsonSerializable(typeof(ListOf<ModelInfo>))]
[JsonSerializable(typeof(XaiCreated))]
[JsonSerializable(typeof(XaiVideoStatus))]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(ApiKeyInfo))]
[JsonSerializable(typeof(ApiKeyCreated))]
[JsonSerializable(typeof(ListOf<ApiKeyInfo>))]
[JsonSerializable(typeof(Health))]
[JsonSerializable(typeof(AccountInfo))]
[JsonSerializable(typeof(ListOf<AccountInfo>))]
[JsonSerializable(typeof(CreateAccountRequest))]
[JsonSerializable(typeof(UpdateAccountRequest))]
[JsonSerializable(typeof(BalanceChangeRequest))]
[JsonSerializable(typeof(LedgerPage))]
[JsonSerializable(typeof(TierInfo))]
[JsonSerializable(typeof(ListOf<TierInfo>))]
[JsonSerializable(typeof(TierRequest))]
[JsonSerializable(typeof(PriceInfo))]
[JsonSerializable(typeof(ListOf<PriceInfo>))]
[JsonSerializable(typeof(PriceRequest))]
[JsonSerializable(typeof(UsageReport))]
[JsonSerializable(typeof(UpdateKeyRequest))]
public sealed partial class ContractsJson : JsonSerializerContext
{
    /// <summary>What goes on the wire: like <see cref="Default"/>, but without escaping quotes and angle brackets in messages.</summary>
    public static ContractsJson Wire { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
