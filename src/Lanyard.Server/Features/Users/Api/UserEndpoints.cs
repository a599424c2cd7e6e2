using Lanyard.Server.Common;
using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.IdentityProviders;
using Lanyard.Server.Features.Tenants.Api;
using Lanyard.Server.Features.Tenants.Deletion;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Users.Api;

/// <summary>
/// Wristband's user resource on the application host: create, read, merge-patch, delete, and revoke a
/// user's sessions. A user out of the caller's reach answers exactly like a missing one (404
/// <c>user_not_found</c>); a tenant named in a create body outside the caller's reach is refused (403)
/// before anything is looked up. The user lists live in <c>UserListEndpoint</c>.
/// </summary>
internal static class UserEndpoints
{
    public const string RevokeSessionsPermission = "auth-session:delete";

    public static void Map(IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery();
        api.MapPost("/users", CreateAsync).RequirePermission("user:create");
        api.MapGet("/users/{userId}", GetAsync).RequirePermission("user:read");
        api.MapPatch("/users/{userId}", PatchAsync).RequirePermission("user:write");
        api.MapDelete("/users/{userId}", DeleteAsync).RequirePermission("user:delete");
        api.MapDelete("/users/{userId}/auth-sessions", RevokeSessionsAsync).RequirePermission(RevokeSessionsPermission);
    }

    public static IResult NotFound() => ApiErrors.Base(StatusCodes.Status404NotFound, "user_not_found", "The user does not exist.");

    private static async Task<IResult> CreateAsync(
        HttpContext http, LanyardDbContext db, TenantContext scope, CreateUser createUser, TimeProvider time, ILogger<User> logger,
        CancellationToken cancellationToken)
    {
        var caller = http.RequiredCaller();
        var (patch, error) = await MergePatch.ReadAsync(http.Request, cancellationToken);
        if (patch is null)
        {
            return error!;
        }

        var tenantId = patch.String("tenantId", nullable: false);
        if (tenantId.IsAbsent && !patch.Violations.ByField.ContainsKey("tenantId"))
        {
            patch.Violations.Add("tenantId", ViolationCodes.Required);
        }

        var identityProvider = patch.String("identityProviderName");
        if (identityProvider.HasValue && identityProvider.Value != IdentityProvider.BuiltInName)
        {
            // Users of external identity providers arrive through their provider, not through this API.
            patch.Violations.Add("identityProviderName", ViolationCodes.InvalidValue, new Dictionary<string, object> { ["allowedValues"] = new[] { IdentityProvider.BuiltInName } });
        }

        var fields = UserFields.Read(patch, current: null, Today(time));
        patch.RefuseUnknown();
        var request = new CreateUserRequest(
            fields.Email.Value, fields.Password.Value, fields.Username.Value,
            EmailVerified: fields.EmailVerified.Value,
            Status: fields.Status.HasValue ? fields.Status.Value : UserStatus.Provisioned);
        foreach (var (field, list) in CreateUser.Validate(request).ByField.Where(p => !patch.Violations.ByField.ContainsKey(p.Key)).ToList())
        {
            list.ForEach(violation => patch.Violations.Add(field, violation.Code, violation.ConstraintAttributes));
        }

        if (tenantId.HasValue && !http.CallerReach().CoversTenant(tenantId.Value!))
        {
            // Decided from the caller's grant alone, before any lookup: a probe learns nothing about the id.
            return ApiErrors.Base(StatusCodes.Status403Forbidden, "forbidden", "The caller may not create users in this tenant.");
        }

        if (!patch.Violations.IsEmpty)
        {
            return ApiErrors.Violations(patch.Violations);
        }

        var tenant = await ApiScope.EnterTenantAsync(http, db, scope, tenantId.Value!, cancellationToken);
        if (tenant is null)
        {
            return TenantEndpoints.NotFound();
        }

        if (fields.ExternalId.Value is { } externalId && await ExternalIdTakenAsync(db, externalId, cancellationToken))
        {
            return ApiErrors.Violations(ConstraintViolations.Single("externalId", ViolationCodes.NotUnique));
        }

        var now = time.GetUtcNow();
        var result = await createUser.ExecuteAsync(request, user =>
        {
            fields.ApplyTo(user);
            user.DeactivatedAt = user.Status == UserStatus.Inactive ? now : null;
        }, cancellationToken);
        if (result is CreateUserResult.Invalid invalid)
        {
            return ApiErrors.Violations(invalid.Violations);
        }

        var created = ((CreateUserResult.Created)result).User;
        Log.UserCreatedByApi(logger, created.Id, created.TenantId, caller.SubjectKind, caller.SubjectId);
        return TypedResults.Created($"/api/v1/users/{created.Id}", UserJson.From(created, await IdentityProviderTypeAsync(db, created, cancellationToken)));
    }

    private static async Task<IResult> GetAsync(string userId, HttpContext http, LanyardDbContext db, TenantContext scope, CancellationToken cancellationToken)
    {
        var fields = FieldProjection.Parse(http.Request.Query);
        if (!fields.IsValid)
        {
            return ApiErrors.BadRequest("invalid_request", fields.Error);
        }

        var user = await ApiScope.EnterUserTenantAsync(http, db, scope, userId, cancellationToken);
        return user is null
            ? NotFound()
            : TypedResults.Ok(fields.Value!.Apply(UserJson.From(user, await IdentityProviderTypeAsync(db, user, cancellationToken))));
    }

    private static async Task<IResult> PatchAsync(
        string userId, HttpContext http, LanyardDbContext db, TenantContext scope, TimeProvider time, ILogger<User> logger, CancellationToken cancellationToken)
    {
        var caller = http.RequiredCaller();
        var user = await ApiScope.EnterUserTenantAsync(http, db, scope, userId, cancellationToken);
        if (user is null)
        {
            return NotFound();
        }

        var (patch, error) = await MergePatch.ReadAsync(http.Request, cancellationToken);
        if (patch is null)
        {
            return error!;
        }

        var current = UserJson.From(user, await IdentityProviderTypeAsync(db, user, cancellationToken));
        if (FieldPermissions.Refusal(http, patch, current, UserFields.Guarded, user.TenantId, user.Id) is { } refusal)
        {
            return refusal;
        }

        var fields = UserFields.Read(patch, user, Today(time));
        foreach (var readOnly in UserFields.ReadOnly)
        {
            patch.ReadOnly(readOnly, current);
        }

        patch.RefuseUnknown();
        if (patch.Violations.IsEmpty)
        {
            await CheckUniqueAsync(db, user, fields, patch.Violations, cancellationToken);
        }

        if (!patch.Violations.IsEmpty)
        {
            return ApiErrors.Violations(patch.Violations);
        }

        var tracked = db.Users.Attach(user).Entity;
        var previousEmail = tracked.NormalizedEmail;
        var previousStatus = tracked.Status;
        fields.ApplyTo(tracked);
        if (tracked.NormalizedEmail != previousEmail && !fields.EmailVerified.HasValue)
        {
            // A new address is unproven until someone says otherwise.
            tracked.EmailVerified = false;
        }

        var now = time.GetUtcNow();
        var deactivated = false;
        if (fields.Status.HasValue && fields.Status.Value != previousStatus)
        {
            tracked.Status = fields.Status.Value;
            deactivated = tracked.Status == UserStatus.Inactive;
            if (deactivated)
            {
                tracked.DeactivatedAt = now;
            }
            else
            {
                tracked.ActivatedAt = now;
            }
        }

        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                return TenantEndpoints.Conflict();
            }
            catch (DbUpdateException e) when (UniqueViolation.Is(e))
            {
                // A parallel request took the address or name between the check and the save.
                return ApiErrors.Violations(ConstraintViolations.Single(fields.Email.HasValue ? "email" : fields.Username.HasValue ? "username" : "externalId", ViolationCodes.NotUnique));
            }

            if (deactivated)
            {
                await UserSignOut.RevokeAsync(db, tracked.TenantId!, [tracked.Id], UserSignOut.DeactivatedReason, now, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        Log.UserUpdated(logger, tracked.Id, tracked.Version, caller.SubjectKind, caller.SubjectId);
        return TypedResults.Ok(UserJson.From(tracked, await IdentityProviderTypeAsync(db, tracked, cancellationToken)));
    }

    private static async Task<IResult> DeleteAsync(
        string userId, HttpContext http, LanyardDbContext db, TenantContext scope, ILogger<User> logger, CancellationToken cancellationToken)
    {
        var caller = http.RequiredCaller();
        var user = await ApiScope.EnterUserTenantAsync(http, db, scope, userId, cancellationToken);
        if (user is null)
        {
            return NotFound();
        }

        // The grants go with the user, and with them every access and refresh token they issued.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var rows = await TenantRows.DeleteUserAsync(db, user.TenantId, user.Id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        Log.UserDeleted(logger, user.Id, user.TenantId, rows, caller.SubjectKind, caller.SubjectId);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> RevokeSessionsAsync(
        string userId, HttpContext http, LanyardDbContext db, TenantContext scope, TimeProvider time, ILogger<User> logger, CancellationToken cancellationToken)
    {
        var caller = http.RequiredCaller();
        var user = await ApiScope.EnterUserTenantAsync(http, db, scope, userId, cancellationToken);
        if (user is null)
        {
            return NotFound();
        }

        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            await UserSignOut.RevokeAsync(db, user.TenantId!, [user.Id], "sessions_revoked", time.GetUtcNow(), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        Log.SessionsRevoked(logger, user.Id, user.TenantId, caller.SubjectKind, caller.SubjectId);
        return TypedResults.NoContent();
    }

    /// <summary>Email, username and external id are unique per (tenant, identity provider); the scope is the user's tenant.</summary>
    private static async Task CheckUniqueAsync(LanyardDbContext db, User user, UserFields fields, ConstraintViolations violations, CancellationToken cancellationToken)
    {
        var others = db.Users.Where(u => u.IdentityProviderId == user.IdentityProviderId && u.Id != user.Id);
        if (fields.Email.HasValue && Normalize.Key(fields.Email.Value!) is var email && email != user.NormalizedEmail
            && await others.AnyAsync(u => u.NormalizedEmail == email, cancellationToken))
        {
            violations.Add("email", ViolationCodes.NotUnique);
        }

        if (Normalize.KeyOrNull(fields.Username.Value) is { } username && username != user.NormalizedUsername
            && await others.AnyAsync(u => u.NormalizedUsername == username, cancellationToken))
        {
            violations.Add("username", ViolationCodes.NotUnique);
        }

        if (fields.ExternalId.Value is { } externalId && externalId != user.ExternalId
            && await others.AnyAsync(u => u.ExternalId == externalId, cancellationToken))
        {
            violations.Add("externalId", ViolationCodes.NotUnique);
        }
    }

    /// <summary>Whether a user of the built-in identity provider (the one the API creates users in) already has this external id.</summary>
    private static Task<bool> ExternalIdTakenAsync(LanyardDbContext db, string externalId, CancellationToken cancellationToken) =>
        db.Users.Join(db.IdentityProviders.Where(p => p.Type == IdentityProviderType.Wristband && p.TenantId == null), u => u.IdentityProviderId, p => p.Id, (u, _) => u)
            .AnyAsync(u => u.ExternalId == externalId, cancellationToken);

    private static async Task<IdentityProviderType> IdentityProviderTypeAsync(LanyardDbContext db, User user, CancellationToken cancellationToken) =>
        await db.IdentityProviders.Where(p => p.Id == user.IdentityProviderId).Select(p => (IdentityProviderType?)p.Type).FirstOrDefaultAsync(cancellationToken)
        ?? IdentityProviderType.Wristband;

    private static DateOnly Today(TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
}
