using System.Globalization;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Tokens;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;

namespace Lanyard.Server.Features.Authorize;

/// <summary>
/// Checks an authorization request in the order the RFCs require: first the client and the redirect URI
/// (failures there show an error page and never redirect), then everything else (failures go back to
/// the client's redirect URI as <c>error=…</c>).
/// </summary>
internal sealed class AuthorizationValidator(DbContextOnDemand db, ClientDirectory clients, ITenantContext tenancy)
{
    private const int MaxStateLength = 512;
    private const int MaxNonceLength = 512;

    public async Task<(AuthorizationRequest? Request, AuthorizationFailure? Failure)> ValidateAsync(
        IReadOnlyDictionary<string, string> p, bool hasDuplicates, CancellationToken cancellationToken)
    {
        var clientId = p.GetValueOrDefault("client_id");
        if (string.IsNullOrEmpty(clientId) || clientId.Length > 64)
        {
            return Page("The request does not name a client application.");
        }

        // From this node's copy (ADR 0009), as the token endpoint reads it: a login flow asks twice.
        var client = tenancy.ApplicationId is { } applicationId ? await clients.FindAsync(db, applicationId, clientId, cancellationToken) : null;
        if (client is null || !string.Equals(client.Id, clientId, StringComparison.Ordinal)
            || client.Type == OAuthClientType.MachineToMachine || !client.GrantTypes.Contains(GrantTypes.AuthorizationCode))
        {
            return Page("The client application is not known to this sign-in service.");
        }

        // RFC 6749 §3.1.2.3 and RFC 9700 §4.1.3: exact, ordinal comparison with a registered URI — templates
        // included literally, no normalization of case, ports, paths or encodings.
        var sentRedirect = p.GetValueOrDefault("redirect_uri");
        string redirectUri;
        if (sentRedirect is not null)
        {
            if (!client.RedirectUris.Contains(sentRedirect, StringComparer.Ordinal))
            {
                return Page("The redirect URI is not registered for this client application.");
            }

            redirectUri = sentRedirect;
        }
        else if (client.RedirectUris.Count == 1)
        {
            redirectUri = client.RedirectUris[0];
        }
        else
        {
            return Page("The request must name one of the client's redirect URIs.");
        }

        var state = p.GetValueOrDefault("state");
        if (state is { Length: > MaxStateLength })
        {
            return Page("The state parameter is too long.");
        }

        var mode = p.GetValueOrDefault("response_mode");
        var formPost = mode == "form_post";
        AuthorizationFailure Error(string error, string description) =>
            new AuthorizationFailure.RedirectError(client, redirectUri, state, error, description, formPost);

        if (hasDuplicates)
        {
            return (null, Error("invalid_request", "A parameter was sent more than once."));
        }

        if (p.ContainsKey("request"))
        {
            return (null, Error("request_not_supported", "Request objects are not supported."));
        }

        if (p.ContainsKey("request_uri"))
        {
            return (null, Error("request_uri_not_supported", "request_uri is not supported."));
        }

        var responseType = p.GetValueOrDefault("response_type");
        if (string.IsNullOrEmpty(responseType))
        {
            return (null, Error("invalid_request", "response_type is required."));
        }

        if (responseType != "code")
        {
            // Implicit and hybrid flows are not offered (RFC 9700 §2.1.2).
            return (null, Error("unsupported_response_type", "Only response_type=code is supported."));
        }

        if (mode is not null and not "query" and not "form_post")
        {
            return (null, Error("invalid_request", "Supported response modes: query, form_post."));
        }

        // PKCE with S256 is required of every client (RFC 9700 §2.1.1); plain and a missing method
        // (which RFC 7636 §4.3 reads as plain) are refused.
        var challenge = p.GetValueOrDefault("code_challenge");
        var method = p.GetValueOrDefault("code_challenge_method");
        if (string.IsNullOrEmpty(challenge))
        {
            return (null, Error("invalid_request", "code_challenge is required (PKCE with S256)."));
        }

        if (method != "S256")
        {
            return (null, Error("invalid_request", "code_challenge_method must be S256."));
        }

        if (!Pkce.IsValidS256Challenge(challenge))
        {
            return (null, Error("invalid_request", "code_challenge is malformed."));
        }

        var nonce = p.GetValueOrDefault("nonce");
        if (nonce is { Length: > MaxNonceLength })
        {
            return (null, Error("invalid_request", "nonce is too long."));
        }

        var prompt = Scopes.Parse(p.GetValueOrDefault("prompt"));
        if (prompt.Contains("none") && prompt.Count > 1)
        {
            return (null, Error("invalid_request", "prompt=none cannot be combined with other values."));
        }

        int? maxAge = null;
        if (p.GetValueOrDefault("max_age") is { } rawMaxAge)
        {
            if (!int.TryParse(rawMaxAge, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return (null, Error("invalid_request", "max_age must be a non-negative integer."));
            }

            maxAge = parsed;
        }

        var scope = Scopes.Normalize(p.GetValueOrDefault("scope"));
        return (new AuthorizationRequest(client, redirectUri, sentRedirect is not null, state, scope, nonce, challenge, prompt, maxAge,
            p.GetValueOrDefault("id_token_hint"), p.GetValueOrDefault("login_hint"), formPost), null);
    }

    private static (AuthorizationRequest?, AuthorizationFailure?) Page(string message) => (null, new AuthorizationFailure.ShowPage(message));
}
