using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Policies;

/// <summary>
/// Wristband's role assignment policy (<c>/role-assignment-policies</c>): the roles a user gets at signup
/// (<c>defaultSignupRoles</c>) and when synced from an external identity provider
/// (<c>defaultIdpUserSyncRoles</c>), as role ids the owner can see: the application's roles for the
/// application's policy, the application's and the tenant's own for a tenant's copy.
/// </summary>
internal sealed class RoleAssignmentPolicyApi : PolicyKindApi<RoleAssignmentPolicy>
{
    public const int MaxRoles = 20;

    public override PolicyKind Kind => PolicyKind.RoleAssignment;
    public override string Collection => "role-assignment-policies";
    public override string Resource => "role-assignment-policy";
    public override string Noun => "role assignment policy";

    public override void Apply(PolicyFields fields, RoleAssignmentPolicy settings)
    {
        fields.StringList("defaultSignupRoles", MaxRoles, v => settings.DefaultSignupRoles = v);
        fields.StringList("defaultIdpUserSyncRoles", MaxRoles, v => settings.DefaultIdpUserSyncRoles = v);
    }

    public override async Task<IResult?> CheckAsync(RoleAssignmentPolicy settings, PolicyFields fields, HttpContext http, CancellationToken cancellationToken)
    {
        var db = http.RequestServices.GetRequiredService<LanyardDbContext>();
        var named = new List<string>();
        foreach (var field in new[] { "defaultSignupRoles", "defaultIdpUserSyncRoles" })
        {
            if (!fields.Has(field))
            {
                continue;
            }

            var ids = field == "defaultSignupRoles" ? settings.DefaultSignupRoles : settings.DefaultIdpUserSyncRoles;

            // The owner's scope is entered: the query filter shows exactly the roles this owner may hand out.
            var visible = await db.Roles.Where(r => ids.Contains(r.Id)).Select(r => r.Id).ToListAsync(cancellationToken);
            var unknown = ids.Except(visible, StringComparer.Ordinal).ToList();
            if (unknown.Count > 0)
            {
                fields.Violations.Add(field, ViolationCodes.InvalidValue, new Dictionary<string, object> { ["unknownRoleIds"] = unknown });
            }

            named.AddRange(visible);
        }

        // Whoever sets the default roles grants them to every future signup: no more than the caller holds itself.
        if (fields.Violations.IsEmpty && named.Count > 0
            && !RbacApi.MayGrant(http.RequiredCaller(), await RbacApi.GrantsOfRolesAsync(db, named, cancellationToken), db.Tenant.TenantId))
        {
            return RbacApi.Forbidden("The caller may not make roles with permissions it does not hold default roles.");
        }

        return null;
    }
}
