using System.Net.Http.Headers;

namespace Vidgate.Server.Providers.Http;

/// <summary>
/// How an instance's API key travels: <c>Authorization: Bearer KEY</c> (xAI, OpenAI, most vendors), another scheme in
/// <c>Authorization</c> (fal's <c>Key KEY</c>, Vidu's <c>Token KEY</c>), or a header of its own (Gemini's
/// <c>x-goog-api-key: KEY</c>). An empty key sends nothing: ComfyUI without a proxy has no auth.
/// </summary>
/// <param name="Header">The header that carries the key.</param>
/// <param name="Scheme">The word before the key (<c>Bearer</c>), or null for the bare key.</param>
internal sealed record UpstreamAuth(string Header, string? Scheme)
{
    public static UpstreamAuth Bearer { get; } = new("Authorization", "Bearer");

    /// <summary><c>Authorization: {scheme} KEY</c>.</summary>
    public static UpstreamAuth WithScheme(string scheme) => new("Authorization", scheme);

    /// <summary><c>{header}: KEY</c>.</summary>
    public static UpstreamAuth InHeader(string header) => new(header, null);

    public void Apply(HttpRequestMessage request, string apiKey)
    {
        if (apiKey.Length == 0)
        {
            return;
        }

        if (Scheme is not null && Header.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue(Scheme, apiKey);
            return;
        }

        request.Headers.Remove(Header);
        request.Headers.TryAddWithoutValidation(Header, Scheme is null ? apiKey : $"{Scheme} {apiKey}");
    }
}
