using Lanyard.Server.Common;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Sessions;
using Lanyard.Server.Features.SigningKeys;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Tokens;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Hosting;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Authorize;

/// <summary>
/// <c>GET|POST /api/v1/oauth2/authorize</c> on a tenant host. With a live session that satisfies
/// <c>prompt</c>, <c>max_age</c> and <c>id_token_hint</c>, it issues a code at once; otherwise it sends the
/// browser to the tenant's login page, which sends it back here. See README.md in this folder.
/// </summary>
internal static class AuthorizeEndpoint
{
    public const string Path = "/api/v1/oauth2/authorize";

    public static void MapAuthorizeEndpoint(this IEndpointRouteBuilder routes)
    {
        routes.MapMethods(Path, [HttpMethods.Get, HttpMethods.Post], HandleAsync)
            .OnHost(HostKind.Tenant).DisableAntiforgery().ExcludeFromDescription();
        routes.MapMethods(Path, [HttpMethods.Get, HttpMethods.Post], HandleOnApplicationHostAsync)
            .OnHost(HostKind.Application).DisableAntiforgery().ExcludeFromDescription();
    }

    /// <summary>
    /// The application-level authorize, for standard OIDC clients that know only the issuer's metadata:
    /// the request is checked exactly as on a tenant host, then the user picks their tenant on the
    /// application login page, which forwards the unchanged request to that tenant's authorize.
    /// </summary>
    private static async Task<IResult> HandleOnApplicationHostAsync(HttpContext http, AuthorizationValidator validator)
    {
        var application = http.RequiredApplication();
        var (parameters, duplicates) = await AuthorizationParameters.ReadAsync(http.Request, http.RequestAborted);
        var (request, failure) = await validator.ValidateAsync(parameters, duplicates, http.RequestAborted);
        switch (failure)
        {
            case AuthorizationFailure.ShowPage page:
                return ErrorPage.Render(page.Message, application, tenant: null);
            case AuthorizationFailure.RedirectError error:
                return ErrorResponse(application, tenant: null, customDomain: null, error.RedirectUri, error.State, error.Error, error.Description, error.FormPost);
        }

        if (request!.Prompt.Contains("none"))
        {
            // Without a tenant there is no session to reuse silently.
            return ErrorResponse(application, null, null, request.RedirectUri, request.State, "login_required", "The user must sign in.", request.FormPost);
        }

        var forwarded = RedirectUris.AppendQuery("", parameters.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)));
        return TypedResults.Redirect(RedirectUris.AppendQuery("/login", [new("client_id", request.Client.Id), new("authorize", forwarded.TrimStart('?'))]));
    }

    private static async Task<IResult> HandleAsync(
        HttpContext http, AuthorizationValidator validator, SessionCookie sessions, LanyardDbContext db,
        SigningKeyRing keys, ServerSettings settings, TimeProvider time, Mfa.MfaGate mfa)
    {
        var cancellationToken = http.RequestAborted;
        var application = http.RequiredApplication();
        var tenant = http.RequiredTenant();
        var customDomain = Normalize.Host(http.Request.Host.Value ?? "") == tenant.CustomDomain ? tenant.CustomDomain : null;

        var (parameters, duplicates) = await AuthorizationParameters.ReadAsync(http.Request, cancellationToken);
        var (request, failure) = await validator.ValidateAsync(parameters, duplicates, cancellationToken);
        if (failure is AuthorizationFailure.ShowPage page)
        {
            return ErrorPage.Render(page.Message, application, tenant);
        }

        if (failure is AuthorizationFailure.RedirectError error)
        {
            return ErrorResponse(application, tenant, customDomain, error.RedirectUri, error.State, error.Error, error.Description, error.FormPost);
        }

        var session = await sessions.ReadAsync(http, cancellationToken);
        User? user = null;
        if (session is not null)
        {
            user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == session.UserId && u.Status == UserStatus.Active, cancellationToken);
        }

        var now = time.GetUtcNow();
        var mustAuthenticate = user is null || request!.Prompt.Contains("login")
            || (request.MaxAge is { } maxAge && now - session!.AuthTime > TimeSpan.FromSeconds(maxAge));
        if (!mustAuthenticate && request!.IdTokenHint is { } hint
            && (await IdTokenHint.ReadAsync(hint, application, keys, cancellationToken))?.Claim("sub") is var hintedSubject
            && !string.Equals(hintedSubject, user!.Id, StringComparison.Ordinal))
        {
            // The client expects another user (or sent a hint that is not ours): never log in silently.
            mustAuthenticate = true;
        }

        if (mustAuthenticate)
        {
            if (request!.Prompt.Contains("none"))
            {
                return ErrorResponse(application, tenant, customDomain, request.RedirectUri, request.State, "login_required", "The user must sign in.", request.FormPost);
            }

            return TypedResults.Redirect(LoginRedirect(parameters));
        }

        // The one place a code is issued, so the one place the second factor is enforced: whatever route led
        // here (login page, a workflow's auth-session handoff, a retried or replayed authorize), a session
        // that has not passed MFA gets the MFA page, never a code.
        if (await mfa.RequiredStepAsync(user!, session!, cancellationToken) is { } step)
        {
            if (request!.Prompt.Contains("none"))
            {
                return ErrorResponse(application, tenant, customDomain, request.RedirectUri, request.State, "interaction_required", "The user must complete multi-factor authentication.", request.FormPost);
            }

            return TypedResults.Redirect(await mfa.RedirectAsync(tenant, session!, step, SelfUrl(parameters), request.Client.Id, cancellationToken));
        }

        var code = OpaqueToken.New();
        var grant = new Grant
        {
            Id = LanyardId.New(time),
            TenantId = tenant.Id,
            ClientId = request!.Client.Id,
            UserId = user!.Id,
            Scope = request.Scope,
            AuthTime = session!.AuthTime,
            Amr = [.. session.Amr],
            SessionId = session.Id,
            CreatedAt = now,
            AbsoluteExpiresAt = now + settings.Protocol.RefreshTokenAbsoluteLifetime,
        };
        db.Grants.Add(grant);
        db.AuthorizationCodes.Add(new AuthorizationCode
        {
            Id = LanyardId.New(time),
            CodeHash = OpaqueToken.Hash(code),
            GrantId = grant.Id,
            ClientId = request.Client.Id,
            RedirectUri = request.RedirectUriWasSent ? request.RedirectUri : null,
            CodeChallenge = request.CodeChallenge,
            Nonce = request.Nonce,
            CreatedAt = now,
            ExpiresAt = now + settings.Protocol.AuthorizationCodeLifetime,
        });
        await db.SaveChangesAsync(cancellationToken);

        return AuthorizationResponse.Send(RedirectUris.Substitute(request.RedirectUri, tenant),
        [
            new("code", code),
            new("state", request.State),
            new("iss", TokenIssuer.Issuer(application)),
            .. RedirectUris.TenantParameters(tenant, customDomain),
        ], request.FormPost);
    }

    /// <summary>
    /// The login page comes back to this same request, minus <c>prompt=login</c> (which would otherwise
    /// send the user to the login page forever). <c>max_age</c> stays: the fresh login satisfies it.
    /// </summary>
    private static string LoginRedirect(Dictionary<string, string> parameters)
    {
        var back = SelfUrl(parameters);
        var login = RedirectUris.AppendQuery("/login", [new("return_url", back), new("login_hint", parameters.GetValueOrDefault("login_hint"))]);
        return login;
    }

    private static string SelfUrl(Dictionary<string, string> parameters) =>
        RedirectUris.AppendQuery(Path, parameters
            .Where(p => p.Key != "prompt" || p.Value != "login")
            .Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)));

    private static IResult ErrorResponse(
        Application application, Tenant? tenant, string? customDomain, string redirectUri, string? state, string error, string description, bool formPost) =>
        AuthorizationResponse.Send(tenant is null ? redirectUri : RedirectUris.Substitute(redirectUri, tenant),
        [
            new("error", error),
            new("error_description", description),
            new("state", state),
            new("iss", TokenIssuer.Issuer(application)),
            .. tenant is null ? [] : RedirectUris.TenantParameters(tenant, customDomain),
        ], formPost);
}
