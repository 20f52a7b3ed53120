using Vidgate.Server.Providers.Registry;

namespace Vidgate.Server.Providers.Http;

/// <summary>The kit's credential check: a vendor names its cheapest authenticated call, the kit runs and classifies it.</summary>
internal abstract partial class HttpVendor : ICredentialCheck
{
    /// <summary>
    /// The cheapest call that needs a valid key (a model list, an account or status query) and how the answer names it;
    /// null (the default): the vendor has none, and the test says so instead of spending money on a generation.
    /// </summary>
    protected virtual (HttpRequestMessage Request, string Checked)? BuildCheck() => null;

    public async Task<CredentialCheck> CheckAsync(string apiKey, CancellationToken ct)
    {
        if (BuildCheck() is not { } check)
        {
            return new CredentialCheck(false, "nothing", "check_unavailable",
                $"{Name} has no free call that proves a key; a test would have to start a paid generation, which it does not.");
        }

        using var request = check.Request;
        try
        {
            var reply = await Client.CallAsync(request, Credential(apiKey), ct);
            var answer = Classify(reply, VendorCall.Poll);
            return answer.Verdict switch
            {
                Verdict.Accepted => new CredentialCheck(true, check.Checked),

                // As for a refused submit, the vendor's words are left out: they often echo part of the key.
                Verdict.BadCredentials => new CredentialCheck(false, check.Checked, "bad_credentials", $"{Name} refused the API key ({reply.Code})."),
                Verdict.RetryLater => new CredentialCheck(false, check.Checked, "upstream_unavailable", $"{Name} answered {reply.Code}; try again later."),
                _ => new CredentialCheck(false, check.Checked, "upstream_error", $"{Name} answered {reply.Code}: " + Quote(answer.Message, apiKey)),
            };
        }
        catch (Exception ex) when (Client.Fail(ex, ct) is { } reason)
        {
            return new CredentialCheck(false, check.Checked, "upstream_unreachable", reason);
        }
    }
}
