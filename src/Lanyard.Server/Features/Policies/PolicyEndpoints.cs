using System.Text.Json;
using System.Text.Json.Nodes;
using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Tenancy;

namespace Lanyard.Server.Features.Policies;

/// <summary>
/// The four endpoints every policy kind has, in Wristband's shapes, on the application host:
/// <list type="bullet">
/// <item><c>POST /{kind}[?upsert=true]</c> — create (201) or, with upsert, update (200) the owner's row;</item>
/// <item><c>GET /{kind}/{id}</c> — one row;</item>
/// <item><c>POST /tenants/{tenantId}/{kind}/resolve-overrides</c> — what is in force for the tenant and where it came from;</item>
/// <item><c>POST /{resource}-override-toggles[?upsert=true]</c> — switch the tenant's own copy on or off.</item>
/// </list>
/// A policy's JSON is <c>{id, ownerType, ownerId, [sub-key field], ...settings, metadata}</c>: the settings
/// object as stored, so the API shows exactly what the flows read.
/// </summary>
internal static class PolicyEndpoints
{
    private static readonly JsonSerializerOptions MetadataJson = new(JsonSerializerDefaults.Web);

    public static void Map<T>(IEndpointRouteBuilder routes, PolicyKindApi<T> kind) where T : class, new()
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery();
        api.MapPost($"/{kind.Collection}", (JsonObject body, HttpContext http, PolicyStore store, CancellationToken ct) =>
            UpsertAsync(kind, body, http, store, ct)).RequirePermission(kind.WritePermission);
        api.MapGet($"/{kind.Collection}/{{id}}", (string id, HttpContext http, PolicyStore store, CancellationToken ct) =>
            GetAsync(kind, id, http, store, ct)).RequirePermission(kind.ReadPermission);
        api.MapPost($"/tenants/{{tenantId}}/{kind.Collection}/resolve-overrides", (string tenantId, HttpContext http, PolicyStore store, CancellationToken ct) =>
            ResolveAsync(kind, tenantId, http, store, ct)).RequirePermission(kind.ReadPermission);
        api.MapPost($"/{kind.Resource}-override-toggles", (JsonObject body, HttpContext http, PolicyStore store, CancellationToken ct) =>
            ToggleAsync(kind, body, http, store, ct)).RequirePermission(kind.WritePermission);
    }

    /// <summary>A policy as the API shows it; <paramref name="row"/> null: the built-in defaults (no id, no metadata).</summary>
    public static JsonObject Json<T>(PolicyKindApi<T> kind, Policy? row, T settings, string applicationId, string subKey, bool? isDefault)
        where T : class, new()
    {
        var json = new JsonObject();
        if (row is not null)
        {
            json["id"] = row.Id;
        }

        json["ownerType"] = WireName<PolicyOwnerType>.Of(row?.OwnerType ?? PolicyOwnerType.Application);
        json["ownerId"] = row is null ? applicationId : row.TenantId ?? row.ApplicationId;
        if (kind.SubKey is { } sub)
        {
            json[sub.Field] = subKey;
        }

        var fields = JsonSerializer.SerializeToNode(settings, PolicyStore.StoredJson)!.AsObject();
        foreach (var name in fields.Select(p => p.Key).ToList())
        {
            var value = fields[name];
            fields.Remove(name);
            json[name] = value;
        }

        if (row is not null)
        {
            json["metadata"] = JsonSerializer.SerializeToNode(PolicyMetadata.Of(row), MetadataJson);
        }

        if (isDefault is not null)
        {
            json["isDefault"] = isDefault.Value;
        }

        return json;
    }

    private static async Task<IResult> UpsertAsync<T>(
        PolicyKindApi<T> kind, JsonObject body, HttpContext http, PolicyStore store, CancellationToken cancellationToken)
        where T : class, new()
    {
        var subKey = "";
        if (kind.SubKey is { } sub)
        {
            var value = PolicyBody.String(body, sub.Field, out var invalid);
            if (invalid || (value is not null && !sub.Values.Contains(value, StringComparer.Ordinal)))
            {
                return ApiErrors.Violations(ConstraintViolations.Single(sub.Field, ViolationCodes.InvalidValue,
                    new Dictionary<string, object> { ["allowedValues"] = sub.Values }));
            }

            if (value is null)
            {
                return ApiErrors.Violations(ConstraintViolations.Single(sub.Field, ViolationCodes.Required));
            }

            subKey = value;
        }

        var (owner, error) = await store.EnterOwnerAsync(http, body, tenantOnly: false, cancellationToken);
        if (owner is null)
        {
            return error!;
        }

        var write = await store.UpsertAsync<T>(owner, kind.Kind, subKey, PolicyBody.UpsertRequested(http), async (settings, creating) =>
        {
            var fields = new PolicyFields(body, creating);
            kind.Apply(fields, settings);
            var refusal = fields.Violations.IsEmpty ? await kind.CheckAsync(settings, fields, http, cancellationToken) : null;
            return new PolicyCheck(fields.Violations, refusal);
        }, cancellationToken);

        var applicationId = http.RequiredApplication().Id;
        return write switch
        {
            PolicyWrite<T>.Saved { Created: true } saved => TypedResults.Created(
                $"/api/v1/{kind.Collection}/{saved.Row.Id}", Json(kind, saved.Row, saved.Settings, applicationId, subKey, null)),
            PolicyWrite<T>.Saved saved => TypedResults.Ok(Json(kind, saved.Row, saved.Settings, applicationId, subKey, null)),
            PolicyWrite<T>.Invalid invalid => ApiErrors.Violations(invalid.Violations),
            PolicyWrite<T>.Refused refused => refused.Result,
            PolicyWrite<T>.Exists => PolicyBody.Exists(kind.Noun),
            _ => PolicyBody.Conflict(),
        };
    }

    private static async Task<IResult> GetAsync<T>(PolicyKindApi<T> kind, string id, HttpContext http, PolicyStore store, CancellationToken cancellationToken)
        where T : class, new()
    {
        var row = await store.FindAsync(http, kind.Kind, id, cancellationToken);
        return row is null
            ? PolicyBody.NotFound()
            : TypedResults.Ok(Json(kind, row, PolicyStore.Read<T>(row.Settings), http.RequiredApplication().Id, row.SubKey, null));
    }

    private static async Task<IResult> ResolveAsync<T>(PolicyKindApi<T> kind, string tenantId, HttpContext http, PolicyStore store, CancellationToken cancellationToken)
        where T : class, new()
    {
        var (owner, error) = await store.EnterTenantAsync(http, tenantId, cancellationToken);
        if (owner is null)
        {
            return error!;
        }

        var applicationId = http.RequiredApplication().Id;
        if (kind.SubKey is not { } sub)
        {
            var (row, settings) = await store.ResolveAsync<T>(kind.Kind, "", cancellationToken);
            return TypedResults.Ok(Json(kind, row, settings, applicationId, "", row is null));
        }

        // Several rows per owner: Wristband's list shape, one item per sub-key, each resolved on its own.
        var asked = http.Request.Query[sub.QueryParameter].ToString();
        var wanted = string.IsNullOrEmpty(asked)
            ? sub.Values
            : asked.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (wanted.Any(w => !sub.Values.Contains(w, StringComparer.Ordinal)))
        {
            return ApiErrors.BadRequest("invalid_query_parameter", $"{sub.QueryParameter} accepts only: {string.Join(", ", sub.Values)}.");
        }

        var items = new JsonArray();
        foreach (var value in sub.Values.Where(wanted.Contains))
        {
            var (row, settings) = await store.ResolveAsync<T>(kind.Kind, value, cancellationToken);
            items.Add(new JsonObject
            {
                ["item"] = Json(kind, row, settings, applicationId, value, null),
                ["isDefault"] = row is null,
            });
        }

        return TypedResults.Ok(new JsonObject { ["items"] = items });
    }

    private static async Task<IResult> ToggleAsync<T>(PolicyKindApi<T> kind, JsonObject body, HttpContext http, PolicyStore store, CancellationToken cancellationToken)
        where T : class, new()
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
            owner, kind.Kind, status == OverrideToggleJson.Enabled, PolicyBody.UpsertRequested(http), cancellationToken);
        return write switch
        {
            ToggleWrite.Saved { Created: true } saved => TypedResults.Created((string?)null, OverrideToggleJson.From(saved.Toggle)),
            ToggleWrite.Saved saved => TypedResults.Ok(OverrideToggleJson.From(saved.Toggle)),
            ToggleWrite.Exists => PolicyBody.Exists($"{kind.Noun} override toggle"),
            _ => PolicyBody.Conflict(),
        };
    }
}
