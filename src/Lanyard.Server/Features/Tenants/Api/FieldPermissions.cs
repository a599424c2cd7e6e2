using System.Text.Json.Nodes;
using Lanyard.Server.Common;
using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.ApiAuthorization;

namespace Lanyard.Server.Features.Tenants.Api;

/// <summary>
/// Field-level permissions of a write: some fields (a tenant's status, a user's email) need a permission
/// beyond the endpoint's own. Only a real change asks for it, so a client may send back an object it read;
/// the permission must reach the object itself (its tenant, or the user under a SELF boundary).
/// </summary>
internal static class FieldPermissions
{
    /// <summary>A 403 naming the first missing permission, or null when every changed field is allowed.</summary>
    public static IResult? Refusal(
        HttpContext http, MergePatch patch, JsonObject current, IEnumerable<(string Field, string Permission)> required, string tenantId, string? userId = null)
    {
        var caller = http.RequiredCaller();
        foreach (var (field, permission) in required)
        {
            if (patch.Changes(field, current) && !caller.Reaches(permission, tenantId, userId))
            {
                return ApiErrors.Base(StatusCodes.Status403Forbidden, "forbidden", $"Changing {field} needs the permission {permission}.");
            }
        }

        return null;
    }
}
