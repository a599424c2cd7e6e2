using Lanyard.Server.Features.Clients;
using Microsoft.Extensions.Primitives;

namespace Lanyard.Server.Features.Authorize;

/// <summary>An authorization request whose client and redirect URI are trusted: from here on, errors go back to the client.</summary>
internal sealed record AuthorizationRequest(
    OAuthClient Client,
    string RedirectUri,
    bool RedirectUriWasSent,
    string? State,
    string Scope,
    string? Nonce,
    string? CodeChallenge,
    IReadOnlySet<string> Prompt,
    int? MaxAge,
    string? IdTokenHint,
    string? LoginHint,
    bool FormPost);

/// <summary>Why an authorization request failed, and whether the client may be told (a redirect) or not (an error page).</summary>
internal abstract record AuthorizationFailure
{
    private AuthorizationFailure() { }

    /// <summary>The client or redirect URI cannot be trusted: never redirect (RFC 6749 §4.1.2.1).</summary>
    public sealed record ShowPage(string Message) : AuthorizationFailure;

    public sealed record RedirectError(OAuthClient Client, string RedirectUri, string? State, string Error, string Description, bool FormPost) : AuthorizationFailure;
}

internal static class AuthorizationParameters
{
    /// <summary>Reads the request's parameters (query for GET, form for POST), refusing repeated ones.</summary>
    public static async Task<(Dictionary<string, string> Values, bool HasDuplicates)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        IEnumerable<KeyValuePair<string, StringValues>> source = HttpMethods.IsPost(request.Method) && request.HasFormContentType
            ? await request.ReadFormAsync(cancellationToken)
            : request.Query;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var duplicates = false;
        foreach (var (key, value) in source)
        {
            duplicates |= value.Count > 1;
            values[key] = value.ToString();
        }

        return (values, duplicates);
    }
}
