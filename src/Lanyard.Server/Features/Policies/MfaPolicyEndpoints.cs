using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.Mfa;
using Lanyard.Server.Tenancy;

namespace Lanyard.Server.Features.Policies;

/// <summary>The MFA policy as the API shows it; <c>isDefault</c> only in resolve-overrides answers.</summary>
internal sealed record MfaPolicyJson(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id,
    string OwnerType,
    string OwnerId,
    string EnrollmentStrategy,
    IReadOnlyList<string> AllowedAuthFactors,
    TotpSettingsJson TotpSettings,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PolicyMetadata? Metadata,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? IsDefault = null)
{
    public static MfaPolicyJson From(Policy row, MfaPolicy settings) => new(
        row.Id, WireName<PolicyOwnerType>.Of(row.OwnerType), row.TenantId ?? row.ApplicationId,
        WireName<MfaEnrollmentStrategy>.Of(settings.EnrollmentStrategy), settings.AllowedAuthFactors,
        new TotpSettingsJson(settings.TotpSettings.Issuer), PolicyMetadata.Of(row));

    public static MfaPolicyJson Defaults(string applicationId, MfaPolicy settings) => new(
        null, WireName<PolicyOwnerType>.Of(PolicyOwnerType.Application), applicationId,
        WireName<MfaEnrollmentStrategy>.Of(settings.EnrollmentStrategy), settings.AllowedAuthFactors,
        new TotpSettingsJson(settings.TotpSettings.Issuer), null, true);
}

internal sealed record TotpSettingsJson(string? Issuer);

/// <summary>
/// Wristband's MFA policy APIs on the application host: upsert an application's or tenant's policy, read
/// one by id, switch a tenant's override on or off, and ask which policy is in force for a tenant.
/// </summary>
internal static class MfaPolicyEndpoints
{
    public const string WritePermission = "mfa-policy:write";
    public const string ReadPermission = "mfa-policy:read";
    private const int IssuerMaxLength = 100;

    public static void Map(IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery();
        api.MapPost("/mfa-policies", UpsertAsync).RequirePermission(WritePermission);
        api.MapGet("/mfa-policies/{id}", GetAsync).RequirePermission(ReadPermission);
        api.MapPost("/tenants/{tenantId}/mfa-policies/resolve-overrides", ResolveAsync).RequirePermission(ReadPermission);
        api.MapPost("/mfa-policy-override-toggles", ToggleAsync).RequirePermission(WritePermission);
    }

    private static async Task<IResult> UpsertAsync(JsonObject body, HttpContext http, PolicyStore store, CancellationToken cancellationToken)
    {
        var (owner, error) = await store.EnterOwnerAsync(http, body, tenantOnly: false, cancellationToken);
        if (owner is null)
        {
            return error!;
        }

        var write = await store.UpsertAsync<MfaPolicy>(
            owner, PolicyKind.Mfa, "", PolicyBody.UpsertRequested(http), settings => Apply(body, settings), cancellationToken);
        return write switch
        {
            PolicyWrite<MfaPolicy>.Saved { Created: true } saved => TypedResults.Created($"/api/v1/mfa-policies/{saved.Row.Id}", MfaPolicyJson.From(saved.Row, saved.Settings)),
            PolicyWrite<MfaPolicy>.Saved saved => TypedResults.Ok(MfaPolicyJson.From(saved.Row, saved.Settings)),
            PolicyWrite<MfaPolicy>.Invalid invalid => ApiErrors.Violations(invalid.Violations),
            PolicyWrite<MfaPolicy>.Exists => PolicyBody.Exists("MFA policy"),
            _ => PolicyBody.Conflict(),
        };
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, PolicyStore store, CancellationToken cancellationToken)
    {
        var row = await store.FindAsync(http, PolicyKind.Mfa, id, cancellationToken);
        return row is null
            ? PolicyBody.NotFound()
            : TypedResults.Ok(MfaPolicyJson.From(row, PolicyStore.Read<MfaPolicy>(row.Settings)));
    }

    private static async Task<IResult> ResolveAsync(string tenantId, HttpContext http, PolicyStore store, CancellationToken cancellationToken)
    {
        var (owner, error) = await store.EnterTenantAsync(http, tenantId, cancellationToken);
        if (owner is null)
        {
            return error!;
        }

        var (row, settings) = await store.ResolveAsync<MfaPolicy>(PolicyKind.Mfa, "", cancellationToken);
        return TypedResults.Ok(row is null
            ? MfaPolicyJson.Defaults(http.RequiredApplication().Id, settings)
            : MfaPolicyJson.From(row, settings) with { IsDefault = false });
    }

    private static async Task<IResult> ToggleAsync(JsonObject body, HttpContext http, PolicyStore store, CancellationToken cancellationToken)
    {
        var status = PolicyBody.String(body, "status", out var badStatus);
        var (owner, error) = await store.EnterOwnerAsync(http, body, tenantOnly: true, cancellationToken);
        if (owner is null)
        {
            return error!;
        }

        if (badStatus || status is not (OverrideToggleJson.Enabled or OverrideToggleJson.Disabled))
        {
            return ApiErrors.Violations(ConstraintViolations.Single("status", status is null && !badStatus ? ViolationCodes.Required : ViolationCodes.InvalidValue));
        }

        var write = await store.UpsertToggleAsync(
            owner, PolicyKind.Mfa, status == OverrideToggleJson.Enabled, PolicyBody.UpsertRequested(http), cancellationToken);
        return write switch
        {
            ToggleWrite.Saved { Created: true } saved => TypedResults.Created((string?)null, OverrideToggleJson.From(saved.Toggle)),
            ToggleWrite.Saved saved => TypedResults.Ok(OverrideToggleJson.From(saved.Toggle)),
            ToggleWrite.Exists => PolicyBody.Exists("MFA policy override toggle"),
            _ => PolicyBody.Conflict(),
        };
    }

    /// <summary>Applies the fields the body names to the stored (or default) policy and checks the result.</summary>
    private static ConstraintViolations Apply(JsonObject body, MfaPolicy policy)
    {
        var violations = new ConstraintViolations();
        if (body.ContainsKey("enrollmentStrategy"))
        {
            var value = PolicyBody.String(body, "enrollmentStrategy", out _);
            if (WireName<MfaEnrollmentStrategy>.TryParse(value, out var strategy))
            {
                policy.EnrollmentStrategy = strategy;
            }
            else
            {
                violations.Add("enrollmentStrategy", ViolationCodes.InvalidValue);
            }
        }

        if (body.ContainsKey("allowedAuthFactors"))
        {
            ApplyFactors(body["allowedAuthFactors"], policy, violations);
        }

        if (body.ContainsKey("totpSettings"))
        {
            ApplyTotpSettings(body["totpSettings"], policy, violations);
        }

        if (!violations.ByField.ContainsKey("allowedAuthFactors"))
        {
            if (policy.EnrollmentStrategy == MfaEnrollmentStrategy.Required && policy.AllowedAuthFactors.Count == 0)
            {
                violations.Add("allowedAuthFactors", ViolationCodes.Required);
            }
            else if (policy.AllowedAuthFactors.Contains(MfaPolicy.RecoveryCode) && !policy.AllowedAuthFactors.Contains(MfaPolicy.Totp))
            {
                // A recovery code is a way back in when the authenticator is lost, not a second factor on its own.
                violations.Add("allowedAuthFactors", ViolationCodes.InvalidValue);
            }
        }

        return violations;
    }

    private static void ApplyFactors(JsonNode? node, MfaPolicy policy, ConstraintViolations violations)
    {
        if (node is not JsonArray items)
        {
            violations.Add("allowedAuthFactors", ViolationCodes.InvalidValue);
            return;
        }

        var factors = new List<string>();
        foreach (var item in items)
        {
            var factor = item is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
            if (factor is not (MfaPolicy.Totp or MfaPolicy.RecoveryCode))
            {
                violations.Add("allowedAuthFactors", ViolationCodes.InvalidValue);
                return;
            }

            if (factors.Contains(factor))
            {
                violations.Add("allowedAuthFactors", ViolationCodes.NotUnique);
                return;
            }

            factors.Add(factor);
        }

        policy.AllowedAuthFactors = factors;
    }

    private static void ApplyTotpSettings(JsonNode? node, MfaPolicy policy, ConstraintViolations violations)
    {
        if (node is null)
        {
            policy.TotpSettings = new TotpSettings();
            return;
        }

        if (node is not JsonObject settings)
        {
            violations.Add("totpSettings", ViolationCodes.InvalidValue);
            return;
        }

        if (!settings.ContainsKey("issuer"))
        {
            return;
        }

        var issuer = PolicyBody.String(settings, "issuer", out var badIssuer);
        if (badIssuer)
        {
            violations.Add("totpSettings.issuer", ViolationCodes.InvalidValue);
            return;
        }

        issuer = issuer?.Trim();
        if (issuer is null)
        {
            policy.TotpSettings.Issuer = null;
        }
        else if (issuer.Length == 0)
        {
            violations.Add("totpSettings.issuer", ViolationCodes.TooShort, new Dictionary<string, object> { ["minLength"] = 1 });
        }
        else if (issuer.Length > IssuerMaxLength)
        {
            violations.Add("totpSettings.issuer", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = IssuerMaxLength });
        }
        else if (issuer.Contains(':', StringComparison.Ordinal) || issuer.Any(char.IsControl))
        {
            // The issuer is the prefix of the otpauth label ("Issuer:account"); a colon would move the boundary.
            violations.Add("totpSettings.issuer", ViolationCodes.InvalidFormat);
        }
        else
        {
            policy.TotpSettings.Issuer = issuer;
        }
    }
}
