using System.Text.Json.Nodes;
using Lanyard.Server.Common;

namespace Lanyard.Server.Features.Clients.Api;

/// <summary>What a client is made of, as a create request or a patched client proposes it, before it is checked.</summary>
internal sealed record ClientShape(
    OAuthClientType Type, string? Name, List<string> RedirectUris, string? LoginUrl, List<string> GrantTypes, bool? RefreshTokenRotation);

/// <summary>The documented body of <c>POST /api/v1/clients</c> (the endpoint reads it as JSON to report every wrong member).</summary>
internal sealed record CreateClientRequest(
    string Type, string Name, IReadOnlyList<string>? RedirectUris, string? LoginUrl, IReadOnlyList<string>? GrantTypes,
    bool? RefreshTokenRotation, string? OwnerType, string? OwnerId);

/// <summary>The documented body of <c>PATCH /api/v1/clients/{id}</c>: a JSON Merge Patch; <c>null</c> clears a member.</summary>
internal sealed record PatchClientRequest(string? Name, IReadOnlyList<string>? RedirectUris, string? LoginUrl, IReadOnlyList<string>? GrantTypes, bool? RefreshTokenRotation);

/// <summary>The documented body of <c>POST /api/v1/clients/{id}/rotate-secret</c> (optional).</summary>
internal sealed record RotateSecretRequest(int? GracePeriodSeconds);

/// <summary>
/// The rules of a client, for creation and for merge patches alike: the client's name, redirect and login
/// URIs (<see cref="RedirectUriRules"/>), and which grant types fit its type. Machine-to-machine clients sign
/// no user in, so they take no redirect URI, login URL or refresh-token setting.
/// </summary>
internal static class ClientInput
{
    public const int NameMaxLength = 100;
    public const int MaxRedirectUris = 20;

    private static readonly string[] KnownGrantTypes = [GrantTypes.AuthorizationCode, GrantTypes.RefreshToken, GrantTypes.ClientCredentials];

    public static List<string> DefaultGrantTypes(OAuthClientType type) => type == OAuthClientType.MachineToMachine
        ? [GrantTypes.ClientCredentials]
        : [GrantTypes.AuthorizationCode, GrantTypes.RefreshToken];

    /// <summary>The shape a create request asks for; members of the wrong JSON type are violations.</summary>
    public static ClientShape? ReadCreate(JsonObject body, string applicationId, ConstraintViolations violations)
    {
        var typeField = PatchBody.String(body, "type");
        OAuthClientType type = default;
        if (typeField.WrongType || (typeField.Value is { } typeText && !WireName<OAuthClientType>.TryParse(typeText, out type)))
        {
            violations.Add("type", ViolationCodes.InvalidValue);
        }
        else if (string.IsNullOrEmpty(typeField.Value))
        {
            violations.Add("type", ViolationCodes.Required);
        }

        // Wristband's create body names the owner; a client always belongs to the application.
        var ownerType = PatchBody.String(body, "ownerType");
        if (ownerType.WrongType || (ownerType.Value is not null && ownerType.Value != "APPLICATION"))
        {
            violations.Add("ownerType", ViolationCodes.InvalidValue);
        }

        var ownerId = PatchBody.String(body, "ownerId");
        if (ownerId.WrongType || (ownerId.Value is not null && ownerId.Value != applicationId))
        {
            violations.Add("ownerId", ViolationCodes.InvalidValue);
        }

        var name = PatchBody.String(body, "name");
        var redirects = PatchBody.Strings(body, "redirectUris");
        var loginUrl = PatchBody.String(body, "loginUrl");
        var grantTypes = PatchBody.Strings(body, "grantTypes");
        var rotation = PatchBody.Boolean(body, "refreshTokenRotation");
        AddWrongTypes(violations, ("name", name.WrongType), ("redirectUris", redirects.WrongType), ("loginUrl", loginUrl.WrongType),
            ("grantTypes", grantTypes.WrongType), ("refreshTokenRotation", rotation.WrongType));
        if (!violations.IsEmpty)
        {
            return null;
        }

        return new ClientShape(type, name.Value, redirects.Value ?? [], loginUrl.Value, grantTypes.Value ?? DefaultGrantTypes(type), rotation.Value);
    }

    /// <summary>The client as the patch would leave it. The type cannot change: naming another one is a violation.</summary>
    public static ClientShape? ReadPatch(JsonObject body, OAuthClient client, ConstraintViolations violations)
    {
        var type = PatchBody.String(body, "type");
        if (type.Present && (type.WrongType || type.Value != WireName<OAuthClientType>.Of(client.Type)))
        {
            violations.Add("type", ViolationCodes.InvalidValue, new Dictionary<string, object> { ["immutable"] = true });
        }

        var name = PatchBody.String(body, "name");
        var redirects = PatchBody.Strings(body, "redirectUris");
        var loginUrl = PatchBody.String(body, "loginUrl");
        var grantTypes = PatchBody.Strings(body, "grantTypes");
        var rotation = PatchBody.Boolean(body, "refreshTokenRotation");
        AddWrongTypes(violations, ("name", name.WrongType), ("redirectUris", redirects.WrongType), ("loginUrl", loginUrl.WrongType),
            ("grantTypes", grantTypes.WrongType), ("refreshTokenRotation", rotation.WrongType));
        if (!violations.IsEmpty)
        {
            return null;
        }

        return new ClientShape(
            client.Type,
            name.Present ? name.Value : client.Name,
            redirects.Present ? redirects.Value ?? [] : [.. client.RedirectUris],
            loginUrl.Present ? loginUrl.Value : client.LoginUrl,
            grantTypes.Present ? grantTypes.Value ?? [] : [.. client.GrantTypes],
            rotation.Present ? rotation.Value : client.RefreshTokenRotation);
    }

    /// <summary>Every broken rule of <paramref name="shape"/>; the normalized shape (trimmed name, distinct URIs) when there is none.</summary>
    public static ClientShape? Check(ClientShape shape, ConstraintViolations violations)
    {
        var machine = shape.Type == OAuthClientType.MachineToMachine;
        var name = shape.Name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            violations.Add("name", ViolationCodes.Required);
        }
        else if (name.Length > NameMaxLength)
        {
            violations.Add("name", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = NameMaxLength });
        }

        var redirects = shape.RedirectUris.Distinct(StringComparer.Ordinal).ToList();
        if (machine && redirects.Count > 0)
        {
            violations.Add("redirectUris", ViolationCodes.InvalidValue);
        }
        else if (!machine && redirects.Count == 0)
        {
            violations.Add("redirectUris", ViolationCodes.Required);
        }
        else if (redirects.Count > MaxRedirectUris)
        {
            violations.Add("redirectUris", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxItems"] = MaxRedirectUris });
        }
        else
        {
            for (var i = 0; i < redirects.Count; i++)
            {
                if (RedirectUriRules.Problem(redirects[i]) is not null)
                {
                    violations.Add("redirectUris", ViolationCodes.InvalidFormat, new Dictionary<string, object> { ["index"] = i });
                }
            }
        }

        if (shape.LoginUrl is not null)
        {
            if (machine)
            {
                violations.Add("loginUrl", ViolationCodes.InvalidValue);
            }
            else if (RedirectUriRules.Problem(shape.LoginUrl) is not null)
            {
                violations.Add("loginUrl", ViolationCodes.InvalidFormat);
            }
        }

        var grantTypes = shape.GrantTypes.Distinct(StringComparer.Ordinal).ToList();
        if (grantTypes.Count == 0)
        {
            violations.Add("grantTypes", ViolationCodes.Required);
        }
        else if (!grantTypes.All(KnownGrantTypes.Contains)
            || (machine && grantTypes is not [GrantTypes.ClientCredentials])
            || (!machine && (!grantTypes.Contains(GrantTypes.AuthorizationCode) || grantTypes.Contains(GrantTypes.ClientCredentials))))
        {
            // A client that signs users in needs the code grant; client credentials are for machine clients alone.
            violations.Add("grantTypes", ViolationCodes.InvalidValue);
        }

        if (machine && shape.RefreshTokenRotation is not null)
        {
            violations.Add("refreshTokenRotation", ViolationCodes.InvalidValue);
        }

        return violations.IsEmpty ? shape with { Name = name, RedirectUris = redirects, GrantTypes = grantTypes } : null;
    }

    private static void AddWrongTypes(ConstraintViolations violations, params (string Field, bool Wrong)[] fields)
    {
        foreach (var (field, wrong) in fields)
        {
            if (wrong)
            {
                violations.Add(field, ViolationCodes.InvalidValue);
            }
        }
    }
}
