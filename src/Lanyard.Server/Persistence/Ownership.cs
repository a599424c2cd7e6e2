namespace Lanyard.Server.Persistence;

/// <summary>A row that belongs to one application. Scoped by the <c>Application</c> query filter.</summary>
internal interface IApplicationOwned
{
    string ApplicationId { get; set; }
}

/// <summary>
/// A row that belongs to one tenant. Scoped by the <c>Tenant</c> query filter; the save interceptor
/// stamps <see cref="TenantId"/> on insert from the current scope and refuses any later change.
/// </summary>
internal interface ITenantOwned
{
    string TenantId { get; set; }
}

/// <summary>
/// A row owned either by the application (<see cref="TenantId"/> null) or by one tenant, such as a
/// policy and its tenant override. A tenant scope sees the application's rows and its own, never
/// another tenant's.
/// </summary>
internal interface IApplicationOrTenantOwned : IApplicationOwned
{
    string? TenantId { get; set; }
}

/// <summary>Names of the EF Core named query filters. Bypassing one is rare and must be reviewed.</summary>
internal static class QueryFilters
{
    public const string Application = "Application";
    public const string Tenant = "Tenant";
}
