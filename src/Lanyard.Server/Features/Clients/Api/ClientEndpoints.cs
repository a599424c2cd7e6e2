using System.Text.Json.Nodes;
using Lanyard.Server.Common;
using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Hosting;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Clients.Api;

/// <summary>
/// OAuth2 clients on the application host: create (the secret shown once), read, merge-patch, delete
/// (its grants revoked), rotate the secret (the old one works on for a grace period), and list. Clients belong
/// to the application, so every route needs a grant that reaches the whole application: a user's token, or a
/// client bounded to some tenants, gets 403 before anything is looked up.
/// </summary>
internal static class ClientEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery().WithTags("Clients");
        api.MapPost("/clients", CreateAsync).RequirePermission("client:create").Accepts<CreateClientRequest>("application/json");
        api.MapGet("/clients/{id}", GetAsync).RequirePermission("client:read");
        api.MapPatch("/clients/{id}", PatchAsync).RequirePermission("client:write")
            .Accepts<PatchClientRequest>("application/merge-patch+json", "application/json");
        api.MapDelete("/clients/{id}", DeleteAsync).RequirePermission("client:delete");
        api.MapPost("/clients/{id}/rotate-secret", RotateSecretAsync).RequirePermission("client:write");
        api.MapGet("/applications/{applicationId}/clients", ListAsync).RequirePermission("client:read");
    }

    private static async Task<IResult> CreateAsync(
        JsonObject body, HttpContext http, LanyardDbContext db, ClientSecretHasher hasher, TimeProvider time, ILogger<OAuthClient> logger, CancellationToken cancellationToken)
    {
        if (!http.CallerReachesApplication())
        {
            return NotApplicationWide();
        }

        var application = http.RequiredApplication();
        var violations = new ConstraintViolations();
        var proposed = ClientInput.ReadCreate(body, application.Id, violations);
        var shape = proposed is null ? null : ClientInput.Check(proposed, violations);
        if (shape is null)
        {
            return ApiErrors.Violations(violations);
        }

        var secret = shape.Type is OAuthClientType.BackendServer or OAuthClientType.MachineToMachine ? ClientSecretHasher.GenerateSecret() : null;
        var client = new OAuthClient
        {
            Id = LanyardId.New(time),
            Name = shape.Name!,
            Type = shape.Type,
            RedirectUris = shape.RedirectUris,
            LoginUrl = shape.LoginUrl,
            GrantTypes = shape.GrantTypes,
            RefreshTokenRotation = shape.RefreshTokenRotation,
            SecretHash = secret is null ? null : hasher.Hash(secret),
        };
        db.Clients.Add(client);
        await db.SaveChangesAsync(cancellationToken);

        var caller = http.RequiredCaller();
        var type = WireName<OAuthClientType>.Of(client.Type);
        Log.ClientCreated(logger, client.Id, type, caller.SubjectKind, caller.SubjectId);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/api/v1/clients/{client.Id}", ClientJson.WithSecret(client, secret, time.GetUtcNow()));
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, LanyardDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!http.CallerReachesApplication())
        {
            return NotApplicationWide();
        }

        var client = await db.Clients.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        return client is null ? NotFound() : TypedResults.Ok(ClientJson.From(client, time.GetUtcNow()));
    }

    private static async Task<IResult> PatchAsync(
        string id, JsonObject body, HttpContext http, LanyardDbContext db, TimeProvider time, ILogger<OAuthClient> logger, CancellationToken cancellationToken)
    {
        if (!http.CallerReachesApplication())
        {
            return NotApplicationWide();
        }

        var client = await db.Clients.AsTracking().FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (client is null)
        {
            return NotFound();
        }

        var violations = new ConstraintViolations();
        var proposed = ClientInput.ReadPatch(body, client, violations);
        var shape = proposed is null ? null : ClientInput.Check(proposed, violations);
        if (shape is null)
        {
            return ApiErrors.Violations(violations);
        }

        client.Name = shape.Name!;
        client.RedirectUris = shape.RedirectUris;
        client.LoginUrl = shape.LoginUrl;
        client.GrantTypes = shape.GrantTypes;
        client.RefreshTokenRotation = shape.RefreshTokenRotation;
        if (!await TrySaveAsync(db, cancellationToken))
        {
            return Conflict();
        }

        var caller = http.RequiredCaller();
        Log.ClientUpdated(logger, client.Id, caller.SubjectKind, caller.SubjectId);
        return TypedResults.Ok(ClientJson.From(client, time.GetUtcNow()));
    }

    /// <summary>
    /// Deletes the client and revokes every grant made to it, so its refresh tokens and the users' access
    /// tokens stop working at once. Refused for the caller itself and for the last client that holds a
    /// predefined role (the Application Admin Client): either would lock the operator out of this API.
    /// </summary>
    private static async Task<IResult> DeleteAsync(
        string id, HttpContext http, LanyardDbContext db, ClientDirectory directory, TimeProvider time, ILogger<OAuthClient> logger, CancellationToken cancellationToken)
    {
        if (!http.CallerReachesApplication())
        {
            return NotApplicationWide();
        }

        var client = await db.Clients.AsNoTracking().Where(c => c.Id == id).Select(c => new { c.Id, c.ApplicationId }).FirstOrDefaultAsync(cancellationToken);
        if (client is null)
        {
            return NotFound();
        }

        var caller = http.RequiredCaller();
        if (caller.IsClient && caller.SubjectId == client.Id)
        {
            Log.DeleteRefused(logger, client.Id, "caller");
            return ApiErrors.BadRequest("client_is_caller", "A client cannot delete itself: use another client's token (the Application Admin Client's).");
        }

        var predefinedRoles = db.ClientRoles.Where(cr => cr.ClientId == client.Id)
            .Join(db.Roles.Where(r => r.Type == RbacType.Predefined), cr => cr.RoleId, r => r.Id, (cr, _) => cr.RoleId);
        var lastHolder = await predefinedRoles.AnyAsync(
            roleId => !db.ClientRoles.Any(other => other.RoleId == roleId && other.ClientId != client.Id), cancellationToken);
        if (lastHolder)
        {
            Log.DeleteRefused(logger, client.Id, "last admin client");
            return ApiErrors.BadRequest("last_admin_client", "This is the last client holding a predefined role; give another client that role first.");
        }

        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var revoked = await db.Grants.Where(g => g.ClientId == client.Id && g.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(g => g.RevokedAt, now).SetProperty(g => g.RevokedReason, "client_deleted"), cancellationToken);
        await db.RefreshTokens.Where(t => t.ClientId == client.Id).ExecuteDeleteAsync(cancellationToken);
        await db.AuthorizationCodes.Where(c => c.ClientId == client.Id).ExecuteDeleteAsync(cancellationToken);
        await db.ClientRoles.Where(cr => cr.ClientId == client.Id).ExecuteDeleteAsync(cancellationToken);
        await db.Clients.Where(c => c.Id == client.Id).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        directory.Invalidate(client.ApplicationId, client.Id); // a bulk delete passes no interceptor

        Log.ClientDeleted(logger, client.Id, caller.SubjectKind, caller.SubjectId, revoked);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// A new secret, shown once in the answer. The replaced one keeps working for the grace period
    /// (<c>gracePeriodSeconds</c> in the body, else <c>Lanyard:Clients:SecretRotationGraceSeconds</c>, 24 hours by
    /// default) so that every instance of the client's backend can be given the new secret before the old stops.
    /// </summary>
    private static async Task<IResult> RotateSecretAsync(
        string id, [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] JsonObject? body, HttpContext http,
        LanyardDbContext db, ClientSecretHasher hasher, ServerSettings settings, TimeProvider time, ILogger<OAuthClient> logger, CancellationToken cancellationToken)
    {
        if (!http.CallerReachesApplication())
        {
            return NotApplicationWide();
        }

        var grace = settings.Protocol.ClientSecretGracePeriod;
        if (body is not null && body.ContainsKey("gracePeriodSeconds"))
        {
            var requested = body["gracePeriodSeconds"] is JsonValue value && value.TryGetValue<int>(out var seconds) ? seconds : -1;
            if (requested < 0 || requested > MaxGraceSeconds)
            {
                return ApiErrors.Violations(ConstraintViolations.Single("gracePeriodSeconds", ViolationCodes.InvalidValue,
                    new Dictionary<string, object> { ["min"] = 0, ["max"] = MaxGraceSeconds }));
            }

            grace = TimeSpan.FromSeconds(requested);
        }

        var client = await db.Clients.AsTracking().FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (client is null)
        {
            return NotFound();
        }

        if (!client.IsConfidential)
        {
            return ApiErrors.BadRequest("invalid_client_type", "Public clients (SPA, native) have no secret.");
        }

        var now = time.GetUtcNow();
        var secret = hasher.Rotate(client, grace, now);
        if (!await TrySaveAsync(db, cancellationToken))
        {
            return Conflict();
        }

        var caller = http.RequiredCaller();
        Log.SecretRotated(logger, client.Id, caller.SubjectKind, caller.SubjectId, client.PreviousSecretExpiresAt);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(ClientJson.WithSecret(client, secret, now));
    }

    private static async Task<IResult> ListAsync(
        string applicationId, HttpContext http, LanyardDbContext db, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var application = http.RequiredApplication();
        if (!string.Equals(applicationId, application.Id, StringComparison.Ordinal))
        {
            return ApiErrors.Base(StatusCodes.Status404NotFound, "application_not_found", "The application does not exist.");
        }

        if (!http.CallerReachesApplication())
        {
            return NotApplicationWide();
        }

        var logger = loggers.CreateLogger(typeof(ClientEndpoints));
        var (request, error) = ApiList.Read(http.Request.Query, ClientJson.Attributes);
        if (request is null)
        {
            Common.Api.Log.ListRefused(logger, "clients", error!.Code);
            return error.ToResult();
        }

        var now = time.GetUtcNow();
        var page = await ApiList.PageAsync(db.Clients.AsNoTracking(), request, ClientJson.Attributes, c => ClientJson.From(c, now), cancellationToken);
        var callerId = http.RequiredCaller().SubjectId;
        Log.ClientsListed(logger, application.Id, callerId, page.ItemsPerPage, page.TotalResults);
        return TypedResults.Ok(page);
    }

    private const int MaxGraceSeconds = 30 * 24 * 60 * 60;

    private static async Task<bool> TrySaveAsync(LanyardDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            return false;
        }
    }

    private static IResult NotApplicationWide() =>
        RbacApi.Forbidden("Clients belong to the application; only a caller whose grant reaches the whole application may manage them.");

    private static IResult NotFound() => ApiErrors.Base(StatusCodes.Status404NotFound, "client_not_found", "The client does not exist.");

    private static IResult Conflict() =>
        ApiErrors.Base(StatusCodes.Status409Conflict, "conflict", "Another request changed this client at the same time; retry.");
}
