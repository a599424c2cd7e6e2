using System.Text.Json.Nodes;
using Lanyard.Server.Common;

namespace Lanyard.Server.Features.Policies;

/// <summary>Wristband's <c>metadata</c> block of a policy or toggle.</summary>
internal sealed record PolicyMetadata(long Version, DateTimeOffset CreationTime, DateTimeOffset LastModifiedTime)
{
    public static PolicyMetadata Of(Persistence.IVersioned row) => new(row.Version, row.CreatedAt, row.UpdatedAt);
}

/// <summary>An override toggle as the API shows it.</summary>
internal sealed record OverrideToggleJson(string Id, string OwnerType, string OwnerId, string Status, PolicyMetadata Metadata)
{
    public static OverrideToggleJson From(PolicyOverrideToggle toggle) => new(
        toggle.Id, WireName<PolicyOwnerType>.Of(PolicyOwnerType.Tenant), toggle.TenantId, toggle.Enabled ? Enabled : Disabled, PolicyMetadata.Of(toggle));

    public const string Enabled = "ENABLED";
    public const string Disabled = "DISABLED";
}

/// <summary>
/// Reading a policy request body field by field, so a partial update can tell an absent field (keep the
/// stored value) from a present one, and a value of the wrong type becomes a violation instead of a bare 400.
/// </summary>
internal static class PolicyBody
{
    public static bool UpsertRequested(HttpContext http) =>
        string.Equals(http.Request.Query["upsert"].ToString(), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>A string field; <paramref name="invalid"/> when present with another type.</summary>
    public static string? String(JsonObject body, string name, out bool invalid)
    {
        invalid = false;
        if (!body.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        if (node is JsonValue value && value.TryGetValue<string>(out var text))
        {
            return text;
        }

        invalid = true;
        return null;
    }

    public static IResult Exists(string kindName) =>
        ApiErrors.Violations(ConstraintViolations.Single("ownerId", ViolationCodes.NotUnique), $"The owner already has a {kindName}; use ?upsert=true to update it.");

    public static IResult Conflict() =>
        ApiErrors.Base(StatusCodes.Status409Conflict, "conflict", "Another request changed this policy at the same time; retry.");

    public static IResult NotFound() =>
        ApiErrors.Base(StatusCodes.Status404NotFound, "policy_not_found", "The policy does not exist.");
}
