using System.Text.Json;
using System.Text.Json.Nodes;
using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Policies;

/// <summary>The owner a policy API call names: the application itself, or one of its tenants.</summary>
internal sealed record PolicyOwner(PolicyOwnerType Type, string Id)
{
    public string? TenantId => Type == PolicyOwnerType.Tenant ? Id : null;
}

/// <summary>The outcome of writing a policy row.</summary>
internal abstract record PolicyWrite<T>
{
    private PolicyWrite()
    {
    }

    public sealed record Saved(Policy Row, T Settings, bool Created) : PolicyWrite<T>;

    public sealed record Invalid(ConstraintViolations Violations) : PolicyWrite<T>;

    /// <summary>A row exists for the owner and the caller did not ask for an upsert.</summary>
    public sealed record Exists : PolicyWrite<T>;

    /// <summary>A parallel write won (unique index or version check); the caller may retry.</summary>
    public sealed record Conflict : PolicyWrite<T>;

    /// <summary>Refused for a reason other than a field's value (e.g. a privilege the caller lacks).</summary>
    public sealed record Refused(IResult Result) : PolicyWrite<T>;
}

/// <summary>What checking a policy's new settings found: violations, or a refusal of another kind, or neither.</summary>
internal sealed record PolicyCheck(ConstraintViolations Violations, IResult? Refusal = null);

/// <summary>The outcome of writing an override toggle.</summary>
internal abstract record ToggleWrite
{
    private ToggleWrite()
    {
    }

    public sealed record Saved(PolicyOverrideToggle Toggle, bool Created) : ToggleWrite;

    public sealed record Exists : ToggleWrite;

    public sealed record Conflict : ToggleWrite;
}

/// <summary>
/// Storage of every policy kind for the management API: one row per (owner, kind, sub-key) holding the
/// settings object as JSON, and one override toggle per (tenant, kind). A kind's endpoints only parse and
/// validate their settings type; owner checks, upsert rules and tenancy live here. Tenant rows are written
/// only after the scope has been narrowed to that tenant (<see cref="EnterOwnerAsync"/>), so the save
/// interceptor stamps them and the query filters keep other tenants' rows out of every read.
/// </summary>
internal sealed partial class PolicyStore(LanyardDbContext db, TenantContext scope, PolicyResolver resolver, TimeProvider time, ILogger<PolicyStore> logger)
{
    /// <summary>Stored JSON: the resolver's spelling, without computed getters of the settings classes.</summary>
    internal static readonly JsonSerializerOptions StoredJson = new(PolicyResolver.Json) { IgnoreReadOnlyProperties = true };

    /// <summary>
    /// Checks <c>ownerType</c>/<c>ownerId</c> and enters the owner's scope. A user's token has already
    /// narrowed the scope to its tenant: it may act only for that tenant, never for the application's defaults.
    /// </summary>
    /// <param name="tenantOnly">Override toggles exist only for tenants: any other owner type is an invalid value.</param>
    public async Task<(PolicyOwner? Owner, IResult? Error)> EnterOwnerAsync(
        HttpContext http, JsonObject body, bool tenantOnly, CancellationToken cancellationToken)
    {
        var violations = new ConstraintViolations();
        var ownerType = PolicyBody.String(body, "ownerType", out var badType);
        var ownerId = PolicyBody.String(body, "ownerId", out var badId);
        PolicyOwnerType type = default;
        if (badType || (!string.IsNullOrEmpty(ownerType)
            && (!WireName<PolicyOwnerType>.TryParse(ownerType, out type) || (tenantOnly && type != PolicyOwnerType.Tenant))))
        {
            violations.Add("ownerType", ViolationCodes.InvalidValue);
        }
        else if (string.IsNullOrEmpty(ownerType))
        {
            violations.Add("ownerType", ViolationCodes.Required);
        }

        if (badId)
        {
            violations.Add("ownerId", ViolationCodes.InvalidValue);
        }
        else if (string.IsNullOrEmpty(ownerId))
        {
            violations.Add("ownerId", ViolationCodes.Required);
        }

        if (!violations.IsEmpty)
        {
            return (null, ApiErrors.Violations(violations));
        }

        return type == PolicyOwnerType.Application
            ? EnterApplication(http, ownerId!)
            : await EnterTenantAsync(http, ownerId!, cancellationToken);
    }

    /// <summary>Enters the scope of a tenant named in a path (resolve-overrides).</summary>
    public async Task<(PolicyOwner? Owner, IResult? Error)> EnterTenantAsync(HttpContext http, string tenantId, CancellationToken cancellationToken)
    {
        // Checked before the lookup, so an unknown id and a tenant out of reach get the same answer.
        if (!http.CallerReach().CoversTenant(tenantId))
        {
            return (null, Forbidden());
        }

        var tenant = await db.Tenants.AsNoTracking()
            .Where(t => t.Id == tenantId && t.Status != TenantStatus.DeleteInProgress)
            .Select(t => new { t.Id }).FirstOrDefaultAsync(cancellationToken);
        if (tenant is null)
        {
            return (null, ApiErrors.Base(StatusCodes.Status404NotFound, "tenant_not_found", "The tenant does not exist."));
        }

        scope.Enter(http.RequiredApplication().Id, tenant.Id);
        return (new PolicyOwner(PolicyOwnerType.Tenant, tenant.Id), null);
    }

    /// <summary>
    /// Creates or (with <paramref name="upsert"/>) updates the owner's row of a kind. <paramref name="apply"/>
    /// receives the stored settings (or the defaults for a new row), changes what the request names and
    /// returns every violation of the result; nothing is saved unless it returns none.
    /// </summary>
    public Task<PolicyWrite<T>> UpsertAsync<T>(
        PolicyOwner owner, PolicyKind kind, string subKey, bool upsert, Func<T, ConstraintViolations> apply, CancellationToken cancellationToken)
        where T : class, new() =>
        UpsertAsync<T>(owner, kind, subKey, upsert, (settings, _) => Task.FromResult(new PolicyCheck(apply(settings))), cancellationToken);

    /// <summary>
    /// As above, for rules that need to look things up (e.g. that role ids exist): <paramref name="apply"/> also
    /// learns whether the row is being created, for fields required on create.
    /// </summary>
    public async Task<PolicyWrite<T>> UpsertAsync<T>(
        PolicyOwner owner, PolicyKind kind, string subKey, bool upsert, Func<T, bool, Task<PolicyCheck>> apply, CancellationToken cancellationToken)
        where T : class, new()
    {
        var tenantId = owner.TenantId;
        var row = await db.Policies.AsTracking()
            .FirstOrDefaultAsync(p => p.TenantId == tenantId && p.Kind == kind && p.SubKey == subKey, cancellationToken);
        if (row is not null && !upsert)
        {
            return new PolicyWrite<T>.Exists();
        }

        var settings = row is null ? new T() : Read<T>(row.Settings);
        var check = await apply(settings, row is null);
        if (!check.Violations.IsEmpty)
        {
            return new PolicyWrite<T>.Invalid(check.Violations);
        }

        if (check.Refusal is not null)
        {
            return new PolicyWrite<T>.Refused(check.Refusal);
        }

        var created = row is null;
        var json = JsonSerializer.Serialize(settings, StoredJson);
        if (row is null)
        {
            row = new Policy { Id = LanyardId.New(time), TenantId = tenantId, Kind = kind, SubKey = subKey, Settings = json };
            db.Policies.Add(row);
        }
        else
        {
            row.Settings = json;
        }

        if (!await TrySaveAsync(cancellationToken))
        {
            PolicyWriteConflict(logger, kind, owner.Id);
            return new PolicyWrite<T>.Conflict();
        }

        PolicySaved(logger, kind, row.Id, owner.Type, owner.Id, created);
        return new PolicyWrite<T>.Saved(row, settings, created);
    }

    /// <summary>
    /// A policy row of a kind by id, as the caller may see it: a client's token sees every tenant of its
    /// application (the tenant filter is lifted for the one lookup of the owner, then the owner's scope is
    /// entered and the row read through the filters); a user's token sees the application's rows and its own tenant's.
    /// </summary>
    public async Task<Policy?> FindAsync(HttpContext http, PolicyKind kind, string id, CancellationToken cancellationToken)
    {
        if (scope.TenantId is null)
        {
            var owner = await db.Policies.IgnoreQueryFilters([QueryFilters.Tenant])
                .Where(p => p.Id == id && p.Kind == kind).Select(p => new { p.TenantId }).FirstOrDefaultAsync(cancellationToken);
            if (owner is null)
            {
                return null;
            }

            if (owner.TenantId is not null)
            {
                var (entered, _) = await EnterTenantAsync(http, owner.TenantId, cancellationToken);
                if (entered is null)
                {
                    return null;
                }
            }
        }

        return await db.Policies.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id && p.Kind == kind, cancellationToken);
    }

    /// <summary>The row in force in the entered tenant scope (null: built-in defaults) and its settings.</summary>
    public async Task<(Policy? Row, T Settings)> ResolveAsync<T>(PolicyKind kind, string subKey, CancellationToken cancellationToken)
        where T : class, new()
    {
        var row = await resolver.InForceAsync(kind, subKey, fresh: true, cancellationToken);
        return (row, row is null ? new T() : Read<T>(row.Settings));
    }

    /// <summary>Creates or (with <paramref name="upsert"/>) updates the entered tenant's override toggle of a kind.</summary>
    public async Task<ToggleWrite> UpsertToggleAsync(PolicyOwner tenant, PolicyKind kind, bool enabled, bool upsert, CancellationToken cancellationToken)
    {
        var toggle = await db.PolicyOverrideToggles.AsTracking()
            .FirstOrDefaultAsync(t => t.TenantId == tenant.Id && t.Kind == kind, cancellationToken);
        if (toggle is not null && !upsert)
        {
            return new ToggleWrite.Exists();
        }

        var created = toggle is null;
        if (toggle is null)
        {
            toggle = new PolicyOverrideToggle { Id = LanyardId.New(time), TenantId = tenant.Id, Kind = kind, Enabled = enabled };
            db.PolicyOverrideToggles.Add(toggle);
        }
        else
        {
            toggle.Enabled = enabled;
        }

        if (!await TrySaveAsync(cancellationToken))
        {
            PolicyWriteConflict(logger, kind, tenant.Id);
            return new ToggleWrite.Conflict();
        }

        ToggleSaved(logger, kind, tenant.Id, enabled, created);
        return new ToggleWrite.Saved(toggle, created);
    }

    public static T Read<T>(string json) where T : class, new() => JsonSerializer.Deserialize<T>(json, PolicyResolver.Json) ?? new T();

    public static IResult Forbidden() =>
        ApiErrors.Base(StatusCodes.Status403Forbidden, "forbidden", "The caller may not act for this owner.");

    private (PolicyOwner? Owner, IResult? Error) EnterApplication(HttpContext http, string ownerId)
    {
        var application = http.RequiredApplication();
        if (!string.Equals(application.Id, ownerId, StringComparison.Ordinal))
        {
            return (null, ApiErrors.Base(StatusCodes.Status404NotFound, "application_not_found", "The application does not exist."));
        }

        // A tenant's user (or a client bounded to some tenants) changes tenants' copies; the application's
        // defaults apply to every tenant, so only a caller reaching every tenant may change them.
        if (!http.CallerReachesApplication())
        {
            return (null, Forbidden());
        }

        scope.Enter(application.Id);
        return (new PolicyOwner(PolicyOwnerType.Application, application.Id), null);
    }

    private async Task<bool> TrySaveAsync(CancellationToken cancellationToken)
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
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 7400, Level = LogLevel.Information, Message = "Policy {Kind} {PolicyId} of {OwnerType} {OwnerId} saved (created: {Created})")]
    private static partial void PolicySaved(ILogger logger, PolicyKind kind, string policyId, PolicyOwnerType ownerType, string ownerId, bool created);

    [LoggerMessage(EventId = 7401, Level = LogLevel.Information, Message = "Override toggle {Kind} of tenant {TenantId} set to {Enabled} (created: {Created})")]
    private static partial void ToggleSaved(ILogger logger, PolicyKind kind, string tenantId, bool enabled, bool created);

    [LoggerMessage(EventId = 7402, Level = LogLevel.Warning, Message = "Parallel write of policy {Kind} of {OwnerId} lost")]
    private static partial void PolicyWriteConflict(ILogger logger, PolicyKind kind, string ownerId);
}
