namespace Vidgate.Server.Providers.Registry;

/// <summary>What a credential check found: whether the key works, what was called, and the failure (no secrets).</summary>
internal sealed record CredentialCheck(bool Ok, string Checked, string? ErrorCode = null, string? ErrorMessage = null);

/// <summary>
/// A provider that can check a key with the cheapest call its vendor has (a model list, an account or status call),
/// for <c>POST /admin/providers/{id}/test</c>. Providers without one are tested by nothing: the answer says so.
/// </summary>
internal interface ICredentialCheck
{
    Task<CredentialCheck> CheckAsync(string apiKey, CancellationToken ct);
}
