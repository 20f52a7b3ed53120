using System.Net.Http.Json;
using Vidgate.Contracts;

namespace Vidgate.Client;

// The admin API (admin keys only): keys, accounts and money, provider instances and model routes.
public sealed partial class VidgateClient
{
    /// <summary>Every API key (never their secrets).</summary>
    public async Task<IReadOnlyList<ApiKeyInfo>> ListKeysAsync(CancellationToken ct = default)
        => (await SendJsonAsync(HttpMethod.Get, "admin/keys", ContractsJson.Default.ListOfApiKeyInfo, null, retry: true, ct).ConfigureAwait(false)).Data;

    /// <summary>Creates a key (for a new account unless <see cref="CreateKeyRequest.AccountId"/> names one); the secret is in the answer only.</summary>
    public Task<ApiKeyCreated> CreateKeyAsync(CreateKeyRequest request, CancellationToken ct = default)
        => SendJsonAsync(HttpMethod.Post, "admin/keys", ContractsJson.Default.ApiKeyCreated, () => JsonContent.Create(request, ClientJson.Default.CreateKeyRequest), retry: false, ct);

    /// <summary>Revokes a key: it is refused (401) from now on.</summary>
    public Task<ApiKeyInfo> RevokeKeyAsync(string keyId, CancellationToken ct = default)
        => SendJsonAsync(HttpMethod.Delete, $"admin/keys/{Escape(keyId)}", ContractsJson.Default.ApiKeyInfo, null, retry: true, ct);

    /// <summary>Every account with its balance, holds and videos in flight.</summary>
    public async Task<IReadOnlyList<AccountInfo>> ListAccountsAsync(CancellationToken ct = default)
        => (await SendJsonAsync(HttpMethod.Get, "admin/accounts", ContractsJson.Default.ListOfAccountInfo, null, retry: true, ct).ConfigureAwait(false)).Data;

    /// <summary>One account, with the balance recomputed from its ledger.</summary>
    public Task<AccountInfo> GetAccountAsync(string accountId, CancellationToken ct = default)
        => SendJsonAsync(HttpMethod.Get, $"admin/accounts/{Escape(accountId)}", ContractsJson.Default.AccountInfo, null, retry: true, ct);

    /// <summary>Creates an account (tier <c>default</c> unless named).</summary>
    public Task<AccountInfo> CreateAccountAsync(CreateAccountRequest request, CancellationToken ct = default)
        => SendJsonAsync(HttpMethod.Post, "admin/accounts", ContractsJson.Default.AccountInfo, () => JsonContent.Create(request, ClientJson.Default.CreateAccountRequest), retry: false, ct);

    /// <summary>Adds <paramref name="amountMicros"/> (1.00 = 1 000 000) to an account's balance; the reason goes in the ledger.</summary>
    public Task<AccountInfo> TopUpAsync(string accountId, long amountMicros, string reason, CancellationToken ct = default)
        => SendJsonAsync(HttpMethod.Post, $"admin/accounts/{Escape(accountId)}/top-up", ContractsJson.Default.AccountInfo,
            () => JsonContent.Create(new BalanceChangeRequest(amountMicros, reason), ClientJson.Default.BalanceChangeRequest), retry: false, ct);

    /// <summary>Every remote provider instance (never their keys, only how many).</summary>
    public async Task<IReadOnlyList<ProviderInfo>> ListProvidersAsync(CancellationToken ct = default)
        => (await SendJsonAsync(HttpMethod.Get, "admin/providers", UpstreamsJson.Default.ListOfProviderInfo, null, retry: true, ct).ConfigureAwait(false)).Data;

    /// <summary>Adds a remote provider instance (xai, openai, comfyui).</summary>
    public Task<ProviderInfo> CreateProviderAsync(ProviderRequest request, CancellationToken ct = default)
        => SendJsonAsync(HttpMethod.Post, "admin/providers", UpstreamsJson.Default.ProviderInfo, () => JsonContent.Create(request, ClientJson.Default.ProviderRequest), retry: false, ct);

    /// <summary>Removes a provider instance (refused while routes point at it).</summary>
    public Task<VideoDeleted> DeleteProviderAsync(string providerId, CancellationToken ct = default)
        => SendJsonAsync(HttpMethod.Delete, $"admin/providers/{Escape(providerId)}", ContractsJson.Default.VideoDeleted, null, retry: true, ct);

    /// <summary>Every model route.</summary>
    public async Task<IReadOnlyList<RouteInfo>> ListRoutesAsync(CancellationToken ct = default)
        => (await SendJsonAsync(HttpMethod.Get, "admin/routes", UpstreamsJson.Default.ListOfRouteInfo, null, retry: true, ct).ConfigureAwait(false)).Data;

    /// <summary>Sends a model to a provider instance (lower priority first, weight among equals).</summary>
    public Task<RouteInfo> CreateRouteAsync(RouteRequest request, CancellationToken ct = default)
        => SendJsonAsync(HttpMethod.Post, "admin/routes", UpstreamsJson.Default.RouteInfo, () => JsonContent.Create(request, ClientJson.Default.RouteRequest), retry: false, ct);

    /// <summary>Removes a route.</summary>
    public Task<VideoDeleted> DeleteRouteAsync(string routeId, CancellationToken ct = default)
        => SendJsonAsync(HttpMethod.Delete, $"admin/routes/{Escape(routeId)}", ContractsJson.Default.VideoDeleted, null, retry: true, ct);
}
