using Lanyard.Server.Common;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Tenants;

internal sealed record CreateTenantRequest(
    string? Name,
    string? DisplayName,
    bool SignupEnabled = false,
    IReadOnlyList<string>? AllowedSignupEmailDomains = null,
    string? Description = null,
    string? LogoUrl = null,
    string? PublicMetadata = null,
    string? RestrictedMetadata = null);

internal abstract record CreateTenantResult
{
    private CreateTenantResult() { }

    public sealed record Created(Tenant Tenant) : CreateTenantResult;

    public sealed record Invalid(ConstraintViolations Violations) : CreateTenantResult;
}

/// <summary>Creates a tenant in the application of the current scope; the one path every caller uses.</summary>
internal sealed class CreateTenant(LanyardDbContext db, TimeProvider time, ILogger<CreateTenant> logger)
{
    public async Task<CreateTenantResult> ExecuteAsync(CreateTenantRequest request, CancellationToken cancellationToken)
    {
        var violations = TenantName.Validate(request.Name);
        var displayName = TenantRules.DisplayName(request.DisplayName, violations);
        var description = TenantRules.Description(request.Description, violations);
        var logoUrl = TenantRules.ImageUrl(request.LogoUrl, violations, "logoUrl");

        var domains = new List<string>();
        foreach (var domain in request.AllowedSignupEmailDomains ?? [])
        {
            var normalized = Normalize.Key(domain).TrimStart('@');
            if (Uri.CheckHostName(normalized) != UriHostNameType.Dns || !normalized.Contains('.', StringComparison.Ordinal))
            {
                violations.Add("allowedSignupEmailDomains", ViolationCodes.InvalidFormat, new Dictionary<string, object> { ["value"] = domain });
            }
            else if (!domains.Contains(normalized))
            {
                domains.Add(normalized);
            }
        }

        if (!violations.IsEmpty)
        {
            return new CreateTenantResult.Invalid(violations);
        }

        var normalizedName = Normalize.Key(request.Name!);
        if (await db.Tenants.AnyAsync(t => t.NormalizedName == normalizedName, cancellationToken))
        {
            return NotUnique();
        }

        var tenant = new Tenant
        {
            Id = LanyardId.New(time),
            ApplicationId = "",
            Name = request.Name!.Trim(),
            NormalizedName = normalizedName,
            DisplayName = displayName!,
            Description = description,
            LogoUrl = logoUrl,
            SignupEnabled = request.SignupEnabled,
            AllowedSignupEmailDomains = domains,
            PublicMetadata = request.PublicMetadata,
            RestrictedMetadata = request.RestrictedMetadata,
        };
        db.Tenants.Add(tenant);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            db.Entry(tenant).State = EntityState.Detached;
            return NotUnique();
        }

        Log.TenantCreated(logger, tenant.Id, tenant.ApplicationId);
        return new CreateTenantResult.Created(tenant);
    }

    private static CreateTenantResult.Invalid NotUnique() =>
        new(ConstraintViolations.Single("name", ViolationCodes.NotUnique));
}

internal static partial class Log
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Tenant {TenantId} created in application {ApplicationId}")]
    public static partial void TenantCreated(ILogger logger, string tenantId, string applicationId);
}
