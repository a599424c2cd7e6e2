using System.Reflection;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Lanyard.Server.Features.Tenants.Deletion;

/// <summary>
/// Every table that holds rows of one tenant, read from the EF model rather than listed by hand, so a table
/// added later is deleted with its tenant without anyone remembering to add it here:
/// <list type="bullet">
/// <item>each entity with a <c>TenantId</c> column (tenant-owned, tenant-or-application-owned, and
/// application-owned rows that record their tenant, such as grants and workflow codes);</item>
/// <item>each entity without one that points, by foreign key, at such an entity (authorization codes and
/// refresh tokens of a grant, permissions of a tenant role).</item>
/// </list>
/// Steps are ordered so that rows pointing at others go first: no foreign key (cascading or restricting)
/// ever stands in the way, on either database.
/// </summary>
internal sealed class TenantRows
{
    public const string TenantIdProperty = nameof(ITenantOwned.TenantId);

    private static readonly MethodInfo OwnedMethod = typeof(TenantRows).GetMethod(nameof(DeleteOwnedAsync), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo DependentMethod = typeof(TenantRows).GetMethod(nameof(DeleteDependentAsync), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo UserMethod = typeof(TenantRows).GetMethod(nameof(DeleteUserRowsAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    private const string UserIdProperty = "UserId";

    private static readonly MethodInfo UserDependentMethod = typeof(TenantRows).GetMethod(nameof(DeleteUserDependentsAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IModel, TenantRows> Plans = [];

    private TenantRows(IReadOnlyList<Step> steps) => Steps = steps;

    /// <summary>The deletion steps, dependents first.</summary>
    public IReadOnlyList<Step> Steps { get; }

    /// <summary>One table's share of a tenant's rows, deleted in batches.</summary>
    internal sealed record Step(IEntityType Entity, IForeignKey? Via, Func<LanyardDbContext, string, int, CancellationToken, Task<int>> DeleteBatchAsync);

    /// <summary>The plan for this model (the model is the same for every context, so it is built once).</summary>
    public static TenantRows Of(IModel model) => Plans.GetValue(model, Build);

    /// <summary>
    /// Deletes every row of one user that carries the user's id and tenant (sessions, grants with their
    /// codes and refresh tokens, role assignments, MFA factors, invitations, workflow codes), then the user.
    /// Returns the number of rows deleted, the user's included. Runs inside the caller's scope and transaction.
    /// </summary>
    public static async Task<int> DeleteUserAsync(LanyardDbContext db, string tenantId, string userId, CancellationToken cancellationToken)
    {
        var deleted = 0;
        foreach (var step in Of(db.Model).Steps)
        {
            if (step.Via is { } fk && fk.PrincipalEntityType.FindProperty(UserIdProperty) is not null)
            {
                deleted += await (Task<int>)UserDependentMethod.MakeGenericMethod(step.Entity.ClrType, fk.PrincipalEntityType.ClrType)
                    .Invoke(null, [db, tenantId, userId, fk.Properties[0].Name, fk.PrincipalKey.Properties[0].Name, cancellationToken])!;
            }
            else if (step.Via is null && step.Entity.FindProperty(UserIdProperty) is not null)
            {
                deleted += await (Task<int>)UserMethod.MakeGenericMethod(step.Entity.ClrType).Invoke(null, [db, tenantId, userId, cancellationToken])!;
            }
        }

        return deleted + await db.Users.Where(u => u.Id == userId && u.TenantId == tenantId).ExecuteDeleteAsync(cancellationToken);
    }

    private static TenantRows Build(IModel model)
    {
        var owned = model.GetEntityTypes()
            .Where(e => !e.IsOwned() && e.FindProperty(TenantIdProperty) is { ClrType: var type } && type == typeof(string))
            .ToList();
        var steps = new List<Step>();
        foreach (var entity in owned)
        {
            var key = SingleStringKey(entity);
            steps.Add(new Step(entity, null, (db, tenantId, batch, ct) =>
                (Task<int>)OwnedMethod.MakeGenericMethod(entity.ClrType).Invoke(null, [db, tenantId, key, batch, ct])!));
        }

        foreach (var principal in owned)
        {
            foreach (var fk in principal.GetReferencingForeignKeys().Where(fk => fk.DeclaringEntityType.FindProperty(TenantIdProperty) is null))
            {
                var dependent = fk.DeclaringEntityType;
                if (fk.Properties.Count != 1 || fk.PrincipalKey.Properties.Count != 1)
                {
                    throw new InvalidOperationException($"{dependent.ClrType.Name} points at {principal.ClrType.Name} by a composite key; tenant deletion cannot follow it.");
                }

                var (fkName, principalKey, dependentKey) = (fk.Properties[0].Name, fk.PrincipalKey.Properties[0].Name, SingleStringKey(dependent));
                steps.Add(new Step(dependent, fk, (db, tenantId, batch, ct) =>
                    (Task<int>)DependentMethod.MakeGenericMethod(dependent.ClrType, principal.ClrType)
                        .Invoke(null, [db, tenantId, fkName, principalKey, dependentKey, batch, ct])!));
            }
        }

        return new TenantRows(DependentsFirst(steps));
    }

    /// <summary>Orders the steps so that an entity comes before every entity it references (Kahn's algorithm, reversed).</summary>
    private static List<Step> DependentsFirst(List<Step> steps)
    {
        var entities = steps.Select(s => s.Entity).Distinct().ToList();
        bool References(IEntityType from, IEntityType to) => from != to && from.GetForeignKeys().Any(fk => fk.PrincipalEntityType == to);

        var ordered = new List<IEntityType>();
        var remaining = new List<IEntityType>(entities);
        while (remaining.Count > 0)
        {
            // Next: an entity that no remaining entity references.
            var next = remaining.FirstOrDefault(e => !remaining.Any(other => References(other, e)))
                ?? throw new InvalidOperationException("The tenant-owned entities reference each other in a cycle; tenant deletion needs an order.");
            ordered.Add(next);
            remaining.Remove(next);
        }

        return [.. steps.OrderBy(s => ordered.IndexOf(s.Entity))];
    }

    private static string SingleStringKey(IEntityType entity)
    {
        // Batches are cut in key order; a composite key is ordered by its first column, which is enough to cut.
        var first = entity.FindPrimaryKey()?.Properties[0]
            ?? throw new InvalidOperationException($"{entity.ClrType.Name} has no primary key; tenant deletion needs one.");
        return first.ClrType == typeof(string)
            ? first.Name
            : throw new InvalidOperationException($"{entity.ClrType.Name}'s key is not text; tenant deletion orders batches by it.");
    }

    // The scope of the context is the tenant's, so the query filters agree with the explicit tenant condition;
    // the condition is still needed for rows whose filter is the application's only (grants, workflow codes).
    private static Task<int> DeleteOwnedAsync<T>(LanyardDbContext db, string tenantId, string key, int batch, CancellationToken cancellationToken) where T : class =>
        db.Set<T>()
            .Where(e => EF.Property<string?>(e, TenantIdProperty) == tenantId)
            .OrderBy(e => EF.Property<string>(e, key))
            .Take(batch)
            .ExecuteDeleteAsync(cancellationToken);

    private static Task<int> DeleteDependentAsync<TDependent, TPrincipal>(
        LanyardDbContext db, string tenantId, string foreignKey, string principalKey, string key, int batch, CancellationToken cancellationToken)
        where TDependent : class
        where TPrincipal : class
    {
        var principals = db.Set<TPrincipal>()
            .Where(p => EF.Property<string?>(p, TenantIdProperty) == tenantId)
            .Select(p => EF.Property<string>(p, principalKey));
        return db.Set<TDependent>()
            .Where(d => principals.Contains(EF.Property<string>(d, foreignKey)))
            .OrderBy(d => EF.Property<string>(d, key))
            .Take(batch)
            .ExecuteDeleteAsync(cancellationToken);
    }

    private static Task<int> DeleteUserRowsAsync<T>(LanyardDbContext db, string tenantId, string userId, CancellationToken cancellationToken) where T : class =>
        db.Set<T>()
            .Where(e => EF.Property<string?>(e, TenantIdProperty) == tenantId && EF.Property<string>(e, UserIdProperty) == userId)
            .ExecuteDeleteAsync(cancellationToken);

    private static Task<int> DeleteUserDependentsAsync<TDependent, TPrincipal>(
        LanyardDbContext db, string tenantId, string userId, string foreignKey, string principalKey, CancellationToken cancellationToken)
        where TDependent : class
        where TPrincipal : class
    {
        var principals = db.Set<TPrincipal>()
            .Where(p => EF.Property<string?>(p, TenantIdProperty) == tenantId && EF.Property<string>(p, UserIdProperty) == userId)
            .Select(p => EF.Property<string>(p, principalKey));
        return db.Set<TDependent>().Where(d => principals.Contains(EF.Property<string>(d, foreignKey))).ExecuteDeleteAsync(cancellationToken);
    }
}
