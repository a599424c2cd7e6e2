using System.Text.Json;
using System.Text.Json.Nodes;
using Lanyard.Server.Common;
using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.Applications;

namespace Lanyard.Server.Features.Tenants.Api;

/// <summary>A tenant as the management API shows it, and the attributes a caller may filter and sort tenants by.</summary>
internal static class TenantJson
{
    /// <summary>
    /// <c>name</c> (and Wristband's older <c>domainName</c>) compare against the normalized column with the value
    /// lowercased, so they are case-insensitive like tenant hosts; <c>displayName</c> compares as stored. The
    /// normalized column orders by code point on both providers (collation "C" on PostgreSQL, see
    /// <c>PostgresLanyardDbContext</c>), so a name prefix is read as a range of its index.
    /// </summary>
    public static ApiAttributes<Tenant> Attributes { get; } = new ApiAttributes<Tenant>(t => t.Id)
        .String("id", t => t.Id)
        .String("name", t => t.NormalizedName, sort: true, normalize: Lowercase, ordinal: true)
        .String("domainName", t => t.NormalizedName, sort: true, normalize: Lowercase, ordinal: true)
        .String("displayName", t => t.DisplayName, sort: true)
        .Enum("status", t => t.Status)
        .Enum("type", t => t.Type)
        .Boolean("signupEnabled", t => t.SignupEnabled)
        .Time("creationTime", t => t.CreatedAt, sort: true);

    /// <summary>
    /// The tenant's JSON. Lists leave <c>restrictedMetadata</c> out; a single tenant read by id
    /// (<paramref name="withRestrictedMetadata"/>) shows it, as Wristband's tenant object does.
    /// </summary>
    public static JsonObject From(Application application, Tenant tenant, bool withRestrictedMetadata = false)
    {
        var json = new JsonObject
        {
            ["id"] = tenant.Id,
            ["applicationId"] = tenant.ApplicationId,
            ["name"] = tenant.Name,
            ["displayName"] = tenant.DisplayName,
            ["description"] = tenant.Description,
            ["logoUrl"] = tenant.LogoUrl,
            ["status"] = WireName<TenantStatus>.Of(tenant.Status),
            ["type"] = WireName<TenantType>.Of(tenant.Type),
            ["signupEnabled"] = tenant.SignupEnabled,
            ["vanityDomain"] = application.TenantHost(tenant),
            ["publicMetadata"] = Metadata(tenant.PublicMetadata),
        };
        if (withRestrictedMetadata)
        {
            json["restrictedMetadata"] = Metadata(tenant.RestrictedMetadata);
        }

        json["metadata"] = new JsonObject
        {
            ["version"] = tenant.Version,
            ["creationTime"] = ApiTimes.Of(tenant.CreatedAt),
            ["lastModifiedTime"] = ApiTimes.Of(tenant.UpdatedAt),
        };
        return json;
    }

    private static string Lowercase(string value) => value.ToLowerInvariant();

    // Stored as JSON text by the API that writes it; a value that is not an object is not shown rather than failing the list.
    internal static JsonObject? Metadata(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
