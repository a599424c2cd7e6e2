using System.Text;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.Extensions.Primitives;

namespace Lanyard.Server.Features.Tokens;

internal abstract record ClientAuthentication
{
    private ClientAuthentication() { }

    public sealed record Authenticated(OAuthClient Client) : ClientAuthentication;

    public sealed record Failed(TokenError Error) : ClientAuthentication;
}

/// <summary>
/// Authenticates the client of a back-channel request: HTTP Basic (what every Wristband SDK sends),
/// <c>client_secret_post</c> (for standards clients), or a bare <c>client_id</c> for public clients.
/// Confidential clients must always prove their secret; one request may use only one method.
/// </summary>
internal sealed class ClientAuthenticator(DbContextOnDemand db, ClientDirectory clients, ClientSecretHasher hasher, Login.LoginThrottle throttle, TimeProvider time)
{
    public async Task<ClientAuthentication> AuthenticateAsync(HttpRequest request, IFormCollection form, CancellationToken cancellationToken)
    {
        string? clientId;
        string? secret;
        var header = request.Headers.Authorization.ToString();
        var hasBasic = header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase);
        var hasPostSecret = !StringValues.IsNullOrEmpty(form["client_secret"]);

        if (hasBasic)
        {
            if (hasPostSecret)
            {
                return Fail(TokenError.InvalidRequest("Use exactly one client authentication method."));
            }

            // Wristband's Express SDK does not form-encode id and secret before base64 (RFC 6749 §2.3.1);
            // Lanyard issues both from URL-safe characters only, so decoding is never needed.
            if (!TryDecodeBasic(header.AsSpan(6).Trim(), out clientId, out secret))
            {
                return Fail(TokenError.InvalidClient("Malformed Basic credentials."));
            }

            if (form["client_id"] is { Count: > 0 } bodyId && !string.Equals(bodyId, clientId, StringComparison.Ordinal))
            {
                return Fail(TokenError.InvalidRequest("client_id in the body differs from the authenticated client."));
            }
        }
        else
        {
            clientId = form["client_id"];
            secret = hasPostSecret ? form["client_secret"].ToString() : null;
        }

        if (string.IsNullOrEmpty(clientId) || clientId.Length > 64)
        {
            return Fail(TokenError.InvalidClient("The client is not identified."));
        }

        var client = await clients.FindAsync(db, request.HttpContext.RequiredApplication().Id, clientId, cancellationToken);
        if (client is null || !string.Equals(client.Id, clientId, StringComparison.Ordinal))
        {
            return Fail(TokenError.InvalidClient());
        }

        if (client.IsConfidential)
        {
            // Secrets are 256-bit: a correct one is never a lucky guess, so success costs no throttle lookup
            // on this hot path. Failures are counted per (client, address) and answered 429 beyond the limit
            // (checklist item 35), so a caller trying at volume is slowed and a legitimate client elsewhere is not.
            if (secret is null || !hasher.Accepts(client, secret, time.GetUtcNow()))
            {
                var address = request.HttpContext.Connection.RemoteIpAddress?.ToString();
                var throttled = await throttle.CountClientFailureAsync(client.Id, address, cancellationToken);
                return Fail(throttled ? TokenError.TooManyAttempts() : TokenError.InvalidClient());
            }
        }
        else if (secret is not null)
        {
            return Fail(TokenError.InvalidClient("Public clients have no secret."));
        }

        return new ClientAuthentication.Authenticated(client);
    }

    private static ClientAuthentication.Failed Fail(TokenError error) => new(error);

    private static bool TryDecodeBasic(ReadOnlySpan<char> encoded, out string? clientId, out string? secret)
    {
        clientId = secret = null;
        Span<byte> bytes = stackalloc byte[Math.Min(encoded.Length, 1024)];
        if (encoded.Length > 1024 || !Convert.TryFromBase64Chars(encoded, bytes, out var written))
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(bytes[..written]);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        clientId = text[..colon];
        secret = text[(colon + 1)..];
        return true;
    }
}
