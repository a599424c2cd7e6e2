using System.Linq.Expressions;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.ApiAuthorization;

/// <summary>
/// Narrows a management request to the tenant of the object it names, once the caller's reach allows it.
/// Everything read or written after that goes through the tenant's query filter and save interceptor, so
/// an endpoint cannot touch another tenant's rows by mistake. Out of reach and absent look the same (null
/// → 404), so ids of other tenants cannot be probed.
/// </summary>
internal static class ApiScope
{
    /// <summary>Enters <paramref name="tenantId"/>'s scope when it exists (not being deleted) and the endpoint's permission reaches the whole tenant.</summary>
    public static async Task<Tenant?> EnterTenantAsync(HttpContext http, LanyardDbContext db, TenantContext scope, string tenantId, CancellationToken cancellationToken)
    {
        if (!http.CallerReach().CoversTenant(tenantId))
        {
            return null;
        }

        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tenantId, cancellationToken);
        if (tenant is null || tenant.Status == TenantStatus.DeleteInProgress)
        {
            return null;
        }

        scope.Enter(http.RequiredApplication().Id, tenant.Id);
        return tenant;
    }

    /// <summary>
    /// Finds a user by id and enters its tenant's scope when the endpoint's permission reaches that user
    /// (its tenant, or the caller itself under a SELF boundary). A client's token has no tenant in scope, so
    /// the tenant filter is lifted for the one lookup that finds the user's tenant (the application filter
    /// stays); a user's token keeps its own tenant's filter, so another tenant's user is simply not found.
    /// </summary>
    public static async Task<User?> EnterUserTenantAsync(HttpContext http, LanyardDbContext db, TenantContext scope, string userId, CancellationToken cancellationToken)
    {
        var tenantIds = db.Users.Where(u => u.Id == userId).Select(u => u.TenantId);
        var tenantId = scope.TenantId is null
            ? await tenantIds.IgnoreQueryFilters([QueryFilters.Tenant]).FirstOrDefaultAsync(cancellationToken)
            : await tenantIds.FirstOrDefaultAsync(cancellationToken);
        if (tenantId is null || !http.CallerReaches(tenantId, userId))
        {
            return null;
        }

        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tenantId, cancellationToken);
        if (tenant is null || tenant.Status == TenantStatus.DeleteInProgress)
        {
            return null;
        }

        scope.Enter(http.RequiredApplication().Id, tenant.Id);
        return await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, cancellationToken);
    }
}

/// <summary>Narrows a query across tenants to the tenants a caller's grant reaches.</summary>
internal static class TenantReachQueries
{
    public static IQueryable<T> WithinReach<T>(this IQueryable<T> source, TenantReach reach, Expression<Func<T, string>> tenantIdOf)
    {
        if (reach.IsUnbounded)
        {
            return source;
        }

        var included = reach.Included.ToList();
        var excluded = reach.Excluded.ToList();
        Expression<Func<string, bool>> keep = reach.Everywhere
            ? id => !excluded.Contains(id) || included.Contains(id)
            : id => included.Contains(id);

        // keep(tenantIdOf(row)), spliced into one expression tree that EF can translate.
        var row = tenantIdOf.Parameters[0];
        var body = new ParameterSwap(keep.Parameters[0], tenantIdOf.Body).Visit(keep.Body);
        return source.Where(Expression.Lambda<Func<T, bool>>(body, row));
    }

    private sealed class ParameterSwap(ParameterExpression from, Expression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}
