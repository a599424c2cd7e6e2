using Lanyard.Server.Common;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Bootstrap;

/// <summary>
/// Brings the management permissions of databases seeded by an older version up to this version's list: a
/// permission a release adds (a new API, a new policy) is created, predefined, and given to the application's Admin
/// Client role, so that role keeps holding every management permission after an upgrade. The first run seeds the
/// list itself; this runs once per start with the other background workers (after the database is ready and
/// <c>Lanyard:Workers:StartDelayMilliseconds</c>), not before readiness: its queries cost a cold start ~0.1 s, and
/// nothing can use a permission that did not exist before. It writes nothing when nothing is missing, and never
/// removes a permission (a value a release drops may still be in use). Idempotent across nodes.
/// </summary>
internal sealed partial class PredefinedPermissionSync(IServiceScopeFactory scopes, TimeProvider time, ILogger<PredefinedPermissionSync> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await scopes.WaitForWorkerStartAsync(stoppingToken);
        try
        {
            await AddMissingAsync(stoppingToken);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            // Another node of the same deployment, started at the same moment, added them first.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            SyncFailed(logger, e);
        }
    }

    private async Task AddMissingAsync(CancellationToken cancellationToken)
    {
        List<(string Id, string Name)> applications;
        await using (var scope = scopes.CreateAsyncScope())
        {
            applications = [.. (await scope.ServiceProvider.GetRequiredService<LanyardDbContext>().Applications
                .Select(a => new { a.Id, a.Name }).ToListAsync(cancellationToken)).Select(a => (a.Id, a.Name))];
        }

        foreach (var (id, name) in applications)
        {
            // One scope per application: a scope acts for one application (the data layer stamps and filters by it).
            await using var scope = scopes.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<TenantContext>().Enter(id);
            var db = scope.ServiceProvider.GetRequiredService<LanyardDbContext>();
            var added = await AddMissingAsync(db, name, time, cancellationToken);
            if (added.Count > 0)
            {
                PermissionsAdded(logger, added.Count, id, added);
            }
        }
    }

    private static async Task<List<string>> AddMissingAsync(LanyardDbContext db, string applicationName, TimeProvider time, CancellationToken cancellationToken)
    {
        var wanted = ManagementPermissions.All.ToHashSet(StringComparer.Ordinal);
        var existing = await db.Permissions.Where(p => wanted.Contains(p.Value)).ToDictionaryAsync(p => p.Value, p => p.Id, StringComparer.Ordinal, cancellationToken);
        var adminRoleName = AdminRoleName(applicationName);
        var adminRoleId = await db.Roles.Where(r => r.Type == RbacType.Predefined && r.Name == adminRoleName).Select(r => r.Id).FirstOrDefaultAsync(cancellationToken);
        var linked = adminRoleId is null
            ? []
            : (await db.RolePermissions.Where(rp => rp.RoleId == adminRoleId).Select(rp => rp.PermissionId).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);

        var added = new List<string>();
        foreach (var value in ManagementPermissions.All)
        {
            if (!existing.TryGetValue(value, out var permissionId))
            {
                permissionId = LanyardId.New(time);
                db.Permissions.Add(new Permission { Id = permissionId, Value = value, Type = RbacType.Predefined });
                added.Add(value);
            }

            if (adminRoleId is not null && linked.Add(permissionId))
            {
                db.RolePermissions.Add(new RolePermission { RoleId = adminRoleId, PermissionId = permissionId });
            }
        }

        if (db.ChangeTracker.HasChanges())
        {
            await db.SaveChangesAsync(cancellationToken);
        }

        return added;
    }

    /// <summary>The Admin Client role's name, as the first run names it.</summary>
    public static string AdminRoleName(string applicationName) => $"app:{applicationName}:admin-client";

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information,
        Message = "Added {Count} management permission(s) of this version to application {ApplicationId} and its Admin Client role: {Values}")]
    private static partial void PermissionsAdded(ILogger logger, int count, string applicationId, IReadOnlyList<string> values);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Error,
        Message = "Adding this version's management permissions failed; the Admin Client may lack a new permission until the next start, which tries again")]
    private static partial void SyncFailed(ILogger logger, Exception exception);
}
