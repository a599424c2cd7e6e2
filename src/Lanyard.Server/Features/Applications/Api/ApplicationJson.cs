using System.Text.Json.Nodes;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Tenants.Api;

namespace Lanyard.Server.Features.Applications.Api;

/// <summary>An application as the management API shows it.</summary>
internal static class ApplicationJson
{
    public static JsonObject From(Application application) => new()
    {
        ["id"] = application.Id,
        ["name"] = application.Name,
        ["displayName"] = application.DisplayName,
        ["vanityDomain"] = application.VanityDomain,
        ["environmentType"] = WireName<EnvironmentType>.Of(application.EnvironmentType),
        ["isMultiTenant"] = application.IsMultiTenant,
        ["signupEnabled"] = application.SignupEnabled,
        ["loginUrl"] = application.LoginUrl,
        ["logoutUrls"] = new JsonArray([.. application.LogoutUrls.Select(u => (JsonNode?)JsonValue.Create(u))]),
        ["metadata"] = new JsonObject
        {
            ["version"] = application.Version,
            ["creationTime"] = ApiTimes.Of(application.CreatedAt),
            ["lastModifiedTime"] = ApiTimes.Of(application.UpdatedAt),
        },
    };
}
