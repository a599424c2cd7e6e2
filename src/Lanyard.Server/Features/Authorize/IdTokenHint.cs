using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.SigningKeys;
using Lanyard.Server.Features.Tokens;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lanyard.Server.Features.Authorize;

/// <summary>
/// Reads an <c>id_token_hint</c>: an ID token this application issued, signed by one of its published keys.
/// Expired hints are accepted, as OIDC Core §3.1.2.1 allows; anything else (another issuer, a forged or
/// unsigned token) reads as no hint at all.
/// </summary>
internal static class IdTokenHint
{
    private static readonly JsonWebTokenHandler Handler = new();

    public static async Task<IDictionary<string, object>?> ReadAsync(string hint, Application application, SigningKeyRing keys, CancellationToken cancellationToken)
    {
        var keySet = await keys.GetAsync(application.Id, cancellationToken);
        var result = await Handler.ValidateTokenAsync(hint, new TokenValidationParameters
        {
            ValidIssuer = TokenIssuer.Issuer(application),
            ValidateAudience = false,
            ValidateLifetime = false,
            IssuerSigningKeys = keySet.ValidationKeys,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        });
        return result.IsValid ? result.Claims : null;
    }
}
