using System.Text.Json.Nodes;
using Lanyard.Server.Common;
using Lanyard.Server.Common.Api;

namespace Lanyard.Server.Features.Clients.Api;

/// <summary>An OAuth2 client as the management API shows it (never its secret or a hash of it), and what a list may filter and sort by.</summary>
internal static class ClientJson
{
    public static ApiAttributes<OAuthClient> Attributes { get; } = new ApiAttributes<OAuthClient>(c => c.Id)
        .String("id", c => c.Id)
        .String("name", c => c.Name, sort: true)
        .Enum("type", c => c.Type)
        .Time("creationTime", c => c.CreatedAt, sort: true);

    public static JsonObject From(OAuthClient client, DateTimeOffset now) => new()
    {
        ["id"] = client.Id,
        ["applicationId"] = client.ApplicationId,
        ["ownerType"] = "APPLICATION",
        ["ownerId"] = client.ApplicationId,
        ["name"] = client.Name,
        ["type"] = WireName<OAuthClientType>.Of(client.Type),
        ["confidential"] = client.IsConfidential,
        ["redirectUris"] = new JsonArray([.. client.RedirectUris.Select(u => (JsonNode?)JsonValue.Create(u))]),
        ["loginUrl"] = client.LoginUrl,
        ["grantTypes"] = new JsonArray([.. client.GrantTypes.Select(g => (JsonNode?)JsonValue.Create(g))]),
        ["refreshTokenRotation"] = client.RefreshTokenRotation,
        // Only while the replaced secret still works, so an operator can see when the roll-out must be done.
        ["previousSecretExpiresAt"] = client.PreviousSecretExpiresAt is { } expiresAt && expiresAt > now ? expiresAt : null,
        ["metadata"] = new JsonObject
        {
            ["version"] = client.Version,
            ["creationTime"] = client.CreatedAt,
            ["lastModifiedTime"] = client.UpdatedAt,
        },
    };

    /// <summary>The client with its new secret: the one answer that ever carries it (creation, rotation).</summary>
    public static JsonObject WithSecret(OAuthClient client, string? secret, DateTimeOffset now)
    {
        var json = From(client, now);
        json["secret"] = secret;
        return json;
    }
}
