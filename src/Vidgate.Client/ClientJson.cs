using System.Text.Json.Serialization;
using Vidgate.Contracts;

namespace Vidgate.Client;

/// <summary>What the client writes: absent fields are left out, so the server applies the model's defaults.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SeedCreateRequest))]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(CreateAccountRequest))]
[JsonSerializable(typeof(BalanceChangeRequest))]
[JsonSerializable(typeof(ProviderRequest))]
[JsonSerializable(typeof(RouteRequest))]
internal sealed partial class ClientJson : JsonSerializerContext;
