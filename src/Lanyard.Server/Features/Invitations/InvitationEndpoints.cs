using System.Text.RegularExpressions;
using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Invitations;

/// <summary>The invitation workflow APIs on the application host.</summary>
internal static partial class InvitationEndpoints
{
    public const string NewUserPermission = "new-user-invitation-workflow:execute";
    public const string ExistingUserPermission = "existing-user-invitation-workflow:execute";
    public const string ReadPermission = "new-user-invitation-request:read";

    public static void Map(IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery();
        api.MapPost("/new-user-invitation/invite-user", InviteNewUserAsync).RequirePermission(NewUserPermission);
        api.MapPost("/new-user-invitation/cancel-invite", CancelAsync).RequirePermission(NewUserPermission);
        api.MapGet("/tenants/{tenantId}/new-user-invitation-requests", ListAsync).RequirePermission(ReadPermission);
        api.MapPost("/new-user-invitation/accept-invite", AcceptNewUserAsync).RequirePermission(NewUserPermission);
        api.MapPost("/new-user-invitation/introspect-email-auth-code", IntrospectNewUserAsync).RequirePermission(NewUserPermission);
        api.MapPost("/existing-user-invitation/invite-user", InviteExistingUserAsync).RequirePermission(ExistingUserPermission);
        api.MapPost("/existing-user-invitation/accept-invite", AcceptExistingUserAsync).RequirePermission(ExistingUserPermission);
        api.MapPost("/existing-user-invitation/introspect-email-auth-code", IntrospectExistingUserAsync).RequirePermission(ExistingUserPermission);
    }

    private static async Task<IResult> InviteNewUserAsync(
        NewUserInviteRequest body, HttpContext http, LanyardDbContext db, TenantContext scope, InvitationSender sender, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(body.TenantId))
        {
            return ApiErrors.Violations(ConstraintViolations.Single("tenantId", ViolationCodes.Required));
        }

        var (tenant, error) = await EnterTenantAsync(http, db, scope, body.TenantId, cancellationToken);
        if (tenant is null)
        {
            return error!;
        }

        if (tenant.Status != TenantStatus.Active)
        {
            return ApiErrors.BadRequest("tenant_not_active", "The tenant is not active.");
        }

        return await sender.InviteNewUserAsync(http.RequiredApplication(), tenant, body, cancellationToken) switch
        {
            InviteResult.Sent sent => TypedResults.Created((string?)null, new NewUserInvitationEnvelope(NewUserInvitationJson.From(sent.Invitation))),
            InviteResult.Invalid invalid => ApiErrors.Violations(invalid.Violations),
            _ => TooMany(),
        };
    }

    private static async Task<IResult> CancelAsync(
        CancelInviteRequest body, HttpContext http, LanyardDbContext db, TenantContext scope, WorkflowCodes codes, ILogger<InvitationSender> logger, CancellationToken cancellationToken)
    {
        var id = body.NewUserInvitationRequestId;
        if (string.IsNullOrWhiteSpace(id))
        {
            return ApiErrors.Violations(ConstraintViolations.Single("newUserInvitationRequestId", ViolationCodes.Required));
        }

        var tenantId = await FindTenantIdAsync(http, db, scope, db.InvitationRequests.Where(i => i.Id == id && i.Kind == InvitationKind.NewUser).Select(i => i.TenantId), cancellationToken);
        var tenant = tenantId is null ? null : await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tenantId, cancellationToken);
        if (tenant is null)
        {
            return InvitationNotFound();
        }

        scope.Enter(http.RequiredApplication().Id, tenant.Id);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var invitation = await db.InvitationRequests.AsTracking().FirstOrDefaultAsync(i => i.Id == id, cancellationToken);
        if (invitation is null)
        {
            return InvitationNotFound();
        }

        if (invitation.Status != InvitationStatus.PendingInviteAcceptance)
        {
            return ApiErrors.BadRequest("invitation_not_pending", "The invitation is not pending.");
        }

        invitation.Status = InvitationStatus.Canceled;
        await codes.RevokeAsync(tenant.Id, invitation.UserId, WorkflowPurpose.NewUserInvitation, cancellationToken);

        // The pending user existed only for the invitation: without it, the tenant never had this user.
        var user = await db.Users.AsTracking().FirstOrDefaultAsync(u => u.Id == invitation.UserId && u.Status == UserStatus.PendingInviteActivation, cancellationToken);
        if (user is not null)
        {
            db.Users.Remove(user);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        InvitationCanceled(logger, invitation.Id, tenant.Id);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ListAsync(
        string tenantId, HttpContext http, LanyardDbContext db, TenantContext scope, CancellationToken cancellationToken)
    {
        var query = http.Request.Query;
        if (!TryReadInt(query["start_index"].ToString(), 1, out var startIndex) || startIndex < 1
            || !TryReadInt(query["count"].ToString(), 50, out var count) || count is < 0 or > 100)
        {
            return ApiErrors.BadRequest("invalid_request", "start_index must be 1 or more and count between 0 and 100.");
        }

        InvitationStatus? status = null;
        if (query["query"].ToString() is { Length: > 0 } expression)
        {
            var match = StatusFilter().Match(expression);
            if (!match.Success || !WireName<InvitationStatus>.TryParse(match.Groups["value"].Value, out var parsed))
            {
                return ApiErrors.BadRequest("invalid_query", "Only the filter status eq \"<STATUS>\" is supported.");
            }

            status = parsed;
        }

        var (tenant, error) = await EnterTenantAsync(http, db, scope, tenantId, cancellationToken);
        if (tenant is null)
        {
            return error!;
        }

        var invitations = db.InvitationRequests.Where(i => i.Kind == InvitationKind.NewUser);
        if (status is { } wanted)
        {
            invitations = invitations.Where(i => i.Status == wanted);
        }

        var total = await invitations.CountAsync(cancellationToken);
        var items = count == 0
            ? []
            : await invitations.OrderBy(i => i.Id).Skip(startIndex - 1).Take(count).ToListAsync(cancellationToken);
        return TypedResults.Ok(new InvitationPage(total, startIndex, items.Count, [.. items.Select(NewUserInvitationJson.From)]));
    }

    private static async Task<IResult> InviteExistingUserAsync(
        ExistingUserInviteRequest body, HttpContext http, LanyardDbContext db, TenantContext scope, InvitationSender sender, CancellationToken cancellationToken)
    {
        var userId = body.UserId;
        if (string.IsNullOrWhiteSpace(userId))
        {
            return ApiErrors.Violations(ConstraintViolations.Single("userId", ViolationCodes.Required));
        }

        var tenantId = await FindTenantIdAsync(http, db, scope, db.Users.Where(u => u.Id == userId).Select(u => u.TenantId), cancellationToken);
        var tenant = tenantId is null ? null : await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tenantId, cancellationToken);
        if (tenant is null || tenant.Status == TenantStatus.DeleteInProgress)
        {
            return UserNotFound();
        }

        if (tenant.Status != TenantStatus.Active)
        {
            return ApiErrors.BadRequest("tenant_not_active", "The user's tenant is not active.");
        }

        var application = http.RequiredApplication();
        scope.Enter(application.Id, tenant.Id);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, cancellationToken);
        if (user is null)
        {
            return UserNotFound();
        }

        if (user.Status is not (UserStatus.Provisioned or UserStatus.Inactive))
        {
            return ApiErrors.BadRequest("invalid_user_status", "Only PROVISIONED or INACTIVE users can be invited.");
        }

        return await sender.InviteExistingUserAsync(application, tenant, user, cancellationToken) switch
        {
            InviteResult.Sent sent => TypedResults.Created((string?)null, new ExistingUserInvitationEnvelope(ExistingUserInvitationJson.From(sent.Invitation))),
            InviteResult.Invalid invalid => ApiErrors.Violations(invalid.Violations),
            _ => TooMany(),
        };
    }

    private static async Task<IResult> AcceptNewUserAsync(
        NewUserAcceptRequest body, HttpContext http, InvitationAcceptance acceptance, CancellationToken cancellationToken) =>
        AcceptResponseOf(await acceptance.AcceptAsync(http.RequiredApplication(), InvitationKind.NewUser, body.EmailAuthCode, body.ToInput(), http.CallerReach().CoversTenant, cancellationToken));

    private static async Task<IResult> AcceptExistingUserAsync(
        ExistingUserAcceptRequest body, HttpContext http, InvitationAcceptance acceptance, CancellationToken cancellationToken) =>
        AcceptResponseOf(await acceptance.AcceptAsync(
            http.RequiredApplication(), InvitationKind.ExistingUser, body.EmailAuthCode, new AcceptInput(Password: body.Password), http.CallerReach().CoversTenant, cancellationToken));

    private static async Task<IResult> IntrospectNewUserAsync(
        EmailAuthCodeRequest body, HttpContext http, InvitationAcceptance acceptance, CancellationToken cancellationToken) =>
        TypedResults.Ok(IntrospectResponse.From(await acceptance.PeekAsync(http.RequiredApplication(), InvitationKind.NewUser, body.EmailAuthCode, http.CallerReach().CoversTenant, cancellationToken)));

    private static async Task<IResult> IntrospectExistingUserAsync(
        EmailAuthCodeRequest body, HttpContext http, InvitationAcceptance acceptance, CancellationToken cancellationToken) =>
        TypedResults.Ok(IntrospectResponse.From(await acceptance.PeekAsync(http.RequiredApplication(), InvitationKind.ExistingUser, body.EmailAuthCode, http.CallerReach().CoversTenant, cancellationToken)));

    private static IResult AcceptResponseOf(AcceptResult result) => result switch
    {
        AcceptResult.Accepted a => TypedResults.Ok(new AcceptResponse(a.UserId, a.TenantId, a.RedirectUrl, a.AuthSessionCode)),
        AcceptResult.Invalid invalid => ApiErrors.Violations(invalid.Violations),
        _ => ApiErrors.Violations(ConstraintViolations.Single("emailAuthCode", "invalid_email_auth_code")),
    };

    /// <summary>
    /// The tenant named by a request, entered as the scope. A user's token has already narrowed the scope to
    /// its own tenant: naming another is forbidden, not "not found", as the caller knows which tenant it is in.
    /// </summary>
    private static async Task<(Tenant? Tenant, IResult? Error)> EnterTenantAsync(
        HttpContext http, LanyardDbContext db, TenantContext scope, string tenantId, CancellationToken cancellationToken)
    {
        // Checked before the lookup, so an unknown id and a tenant out of reach get the same answer.
        if (!http.CallerReach().CoversTenant(tenantId))
        {
            return (null, ApiErrors.Base(StatusCodes.Status403Forbidden, "forbidden", "The caller may not act for this tenant."));
        }

        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tenantId, cancellationToken);
        if (tenant is null || tenant.Status == TenantStatus.DeleteInProgress)
        {
            return (null, ApiErrors.Base(StatusCodes.Status404NotFound, "tenant_not_found", "The tenant does not exist."));
        }

        scope.Enter(http.RequiredApplication().Id, tenant.Id);
        return (tenant, null);
    }

    /// <summary>
    /// The tenant of a row known only by its id. With no tenant in scope yet (a client's token, application
    /// boundary) the tenant filter is lifted for this one lookup, the application filter stays; a user's
    /// token keeps its tenant filter, so another tenant's row is simply not found. A tenant out of the
    /// caller's reach is treated as not found.
    /// </summary>
    private static async Task<string?> FindTenantIdAsync(HttpContext http, LanyardDbContext db, TenantContext scope, IQueryable<string> tenantIds, CancellationToken cancellationToken)
    {
        var tenantId = scope.TenantId is null
            ? await tenantIds.IgnoreQueryFilters([QueryFilters.Tenant]).FirstOrDefaultAsync(cancellationToken)
            : await tenantIds.FirstOrDefaultAsync(cancellationToken);
        return tenantId is not null && http.CallerReach().CoversTenant(tenantId) ? tenantId : null;
    }

    private static bool TryReadInt(string value, int fallback, out int result)
    {
        if (value.Length == 0)
        {
            result = fallback;
            return true;
        }

        return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out result);
    }

    private static IResult TooMany() =>
        ApiErrors.Base(StatusCodes.Status429TooManyRequests, "too_many_requests", "Too many invitations for this tenant or email address; try again later.");

    private static IResult InvitationNotFound() =>
        ApiErrors.Base(StatusCodes.Status404NotFound, "invitation_not_found", "The invitation does not exist.");

    private static IResult UserNotFound() =>
        ApiErrors.Base(StatusCodes.Status404NotFound, "user_not_found", "The user does not exist.");

    [GeneratedRegex("^\\s*status\\s+eq\\s+\"(?<value>[A-Za-z_]+)\"\\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex StatusFilter();

    [LoggerMessage(EventId = 7203, Level = LogLevel.Information, Message = "Invitation {InvitationId} in tenant {TenantId} cancelled")]
    private static partial void InvitationCanceled(ILogger logger, string invitationId, string tenantId);
}
