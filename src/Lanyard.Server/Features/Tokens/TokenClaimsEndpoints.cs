using System.Text.Json;
using System.Text.Json.Nodes;
using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Tokens;

/// <summary>The documented body of <c>PUT /api/v1/applications/{applicationId}/token-claims</c>.</summary>
internal sealed record TokenClaimsRequest(IReadOnlyList<CustomClaimMapping> CustomClaims);

/// <summary>The application's custom token claims as the API shows them; no <c>metadata</c> before the first PUT.</summary>
internal sealed record TokenClaimsJson(
    string ApplicationId,
    IReadOnlyList<CustomClaimMapping> CustomClaims,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] PolicyMetadata? Metadata);

/// <summary>
/// <c>GET|PUT /api/v1/applications/{applicationId}/token-claims</c>: which custom claims the application's user
/// tokens and userinfo carry (<see cref="CustomClaims"/>). Application configuration: a grant reaching the whole
/// application is needed. PUT replaces the whole list; a change shows in tokens issued from then on.
/// </summary>
internal static partial class TokenClaimsEndpoints
{
    public static IEndpointRouteBuilder MapTokenClaimsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery().WithTags("Applications");
        api.MapGet("/applications/{applicationId}/token-claims", GetAsync).RequirePermission("application:read");
        api.MapPut("/applications/{applicationId}/token-claims", PutAsync).RequirePermission("application:write").Accepts<TokenClaimsRequest>("application/json");
        return routes;
    }

    private static async Task<IResult> GetAsync(string applicationId, HttpContext http, LanyardDbContext db, CancellationToken cancellationToken)
    {
        if (Refused(applicationId, http) is { } refused)
        {
            return refused;
        }

        var row = await RowAsync(db, tracking: false, cancellationToken);
        return TypedResults.Ok(Json(applicationId, row));
    }

    private static async Task<IResult> PutAsync(
        string applicationId, JsonObject body, HttpContext http, LanyardDbContext db, TimeProvider time, ILogger<TokenClaimsSettings> logger, CancellationToken cancellationToken)
    {
        if (Refused(applicationId, http) is { } refused)
        {
            return refused;
        }

        var violations = new ConstraintViolations();
        var mappings = Read(body, violations);
        if (mappings is null)
        {
            return ApiErrors.Violations(violations);
        }

        var settings = JsonSerializer.Serialize(new TokenClaimsSettings { CustomClaims = mappings }, PolicyResolver.Json);
        var row = await RowAsync(db, tracking: true, cancellationToken);
        if (row is null)
        {
            row = new Policy { Id = LanyardId.New(time), Kind = PolicyKind.TokenClaims, SubKey = "", Settings = settings };
            db.Policies.Add(row);
        }
        else
        {
            row.Settings = settings;
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A parallel PUT created the row (unique index) or changed it (version) first.
            return ApiErrors.Base(StatusCodes.Status409Conflict, "conflict", "Another request changed the token claims at the same time; retry.");
        }

        var caller = http.RequiredCaller();
        TokenClaimsChanged(logger, applicationId, mappings.Count, caller.SubjectKind, caller.SubjectId);
        return TypedResults.Ok(Json(applicationId, row));
    }

    /// <summary>Every mapping of the body, or null with every broken rule (by index: <c>customClaims[2].source</c>).</summary>
    private static List<CustomClaimMapping>? Read(JsonObject body, ConstraintViolations violations)
    {
        if (!body.TryGetPropertyValue("customClaims", out var node) || node is null)
        {
            violations.Add("customClaims", ViolationCodes.Required);
            return null;
        }

        if (node is not JsonArray items)
        {
            violations.Add("customClaims", ViolationCodes.InvalidValue);
            return null;
        }

        if (items.Count > CustomClaims.MaxClaims)
        {
            violations.Add("customClaims", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxItems"] = CustomClaims.MaxClaims });
            return null;
        }

        var mappings = new List<CustomClaimMapping>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i] as JsonObject;
            var name = Text(item, "name");
            var source = Text(item, "source");
            if (string.IsNullOrEmpty(name))
            {
                violations.Add($"customClaims[{i}].name", ViolationCodes.Required);
            }
            else if (!CustomClaims.IsValidName(name))
            {
                violations.Add($"customClaims[{i}].name", ViolationCodes.InvalidFormat, new Dictionary<string, object> { ["maxLength"] = CustomClaims.MaxNameLength });
            }
            else if (!names.Add(name))
            {
                violations.Add($"customClaims[{i}].name", ViolationCodes.NotUnique);
            }

            if (string.IsNullOrEmpty(source))
            {
                violations.Add($"customClaims[{i}].source", ViolationCodes.Required);
            }
            else if (!CustomClaims.IsValidSource(source))
            {
                violations.Add($"customClaims[{i}].source", ViolationCodes.InvalidValue);
            }

            if (violations.IsEmpty)
            {
                mappings.Add(new CustomClaimMapping(name!, source!));
            }
        }

        return violations.IsEmpty ? mappings : null;
    }

    private static string? Text(JsonObject? item, string name) =>
        item is not null && item.TryGetPropertyValue(name, out var node) && node is JsonValue value && value.GetValueKind() == JsonValueKind.String
            ? value.GetValue<string>()
            : null;

    private static IResult? Refused(string applicationId, HttpContext http)
    {
        if (!string.Equals(applicationId, http.RequiredApplication().Id, StringComparison.Ordinal))
        {
            return ApiErrors.Base(StatusCodes.Status404NotFound, "application_not_found", "The application does not exist.");
        }

        return http.CallerReachesApplication()
            ? null
            : ApiErrors.Base(StatusCodes.Status403Forbidden, "forbidden", "Token claims are application settings; only a caller whose grant reaches the whole application may use them.");
    }

    private static Task<Policy?> RowAsync(LanyardDbContext db, bool tracking, CancellationToken cancellationToken)
    {
        var rows = db.Policies.Where(p => p.TenantId == null && p.Kind == PolicyKind.TokenClaims && p.SubKey == "");
        return (tracking ? rows.AsTracking() : rows.AsNoTracking()).FirstOrDefaultAsync(cancellationToken);
    }

    private static TokenClaimsJson Json(string applicationId, Policy? row) => new(
        applicationId,
        row is null ? [] : CustomClaims.Read(row.Settings).CustomClaims,
        row is null ? null : PolicyMetadata.Of(row));

    [LoggerMessage(EventId = 5050, Level = LogLevel.Information, Message = "Token claims of application {ApplicationId} set ({Count} custom claims) by {CallerKind} {CallerId}")]
    private static partial void TokenClaimsChanged(ILogger logger, string applicationId, int count, string callerKind, string callerId);
}
