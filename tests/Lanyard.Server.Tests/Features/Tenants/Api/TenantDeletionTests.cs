using System.Net;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.IdentityProviders;
using Lanyard.Server.Features.Mfa;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Tenants.Deletion;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Persistence;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Lanyard.Server.Tests.Features.Tenants.Api;

/// <summary>
/// DELETE /api/v1/tenants/{id}: the tenant vanishes from hosts and APIs at once, its tokens stop working,
/// and the worker then removes every row of it from every table the model has (found from the model, as
/// the worker finds them), leaving every other tenant's rows untouched.
/// </summary>
public abstract class TenantDeletionTests(LanyardFactory factory)
{
    private static readonly TimeSpan WorkerTimeout = TimeSpan.FromSeconds(60);
    private readonly ResourceKit _kit = new(factory);

    [Fact]
    public async Task Deleting_a_tenant_removes_every_row_of_it_and_nothing_of_another_tenant()
    {
        var (doomed, survivor) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var doomedSeed = await SeedEveryTableAsync(doomed);
        var survivorSeed = await SeedEveryTableAsync(survivor);
        var (doomedCaller, doomedApi) = await _kit.UserApiAsync(doomed, "user:read");

        var plan = await PlanAsync();
        var doomedBefore = await CensusAsync(plan, doomed.Id);
        var survivorBefore = await CensusAsync(plan, survivor.Id);
        foreach (var (table, count) in doomedBefore.Counts.Concat(survivorBefore.Counts))
        {
            // The seed must reach every table, or this test would prove nothing about it.
            Assert.True(count > 0, $"The test seeds no row of {table}: add one to SeedEveryTableAsync.");
        }

        using (var deleted = await ResourceKit.DeleteAsync(await _kit.AdminAsync(), $"/api/v1/tenants/{doomed.Id}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        }

        // At once: no host, no API, no token, no refresh.
        using (var get = await ResourceKit.GetAsync(await _kit.AdminAsync(), $"/api/v1/tenants/{doomed.Id}"))
        {
            await ResourceKit.AssertErrorAsync(get, HttpStatusCode.NotFound, "tenant_not_found");
        }

        using (var host = await factory.ClientFor(LanyardFactory.TenantHost(doomed.Name)).GetAsync(new Uri("/_test/scope", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, host.StatusCode);
        }

        using (var byToken = await ResourceKit.GetAsync(doomedApi, $"/api/v1/users/{doomedCaller.Id}"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, byToken.StatusCode);
        }

        using (var refresh = await new OAuthFlow(factory).RefreshAsync(new OAuthFlow(factory).DemoClient, doomedSeed.RefreshToken))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
        }

        using (var again = await ResourceKit.DeleteAsync(await _kit.AdminAsync(), $"/api/v1/tenants/{doomed.Id}"))
        {
            await ResourceKit.AssertErrorAsync(again, HttpStatusCode.NotFound, "tenant_not_found");
        }

        await WaitUntilGoneAsync(doomed.Id);

        var doomedAfter = await CensusAsync(plan, doomed.Id, doomedBefore.PrincipalIds);
        Assert.All(doomedAfter.Counts, entry => Assert.True(entry.Value == 0, $"{entry.Value} rows of the deleted tenant remain in {entry.Key}"));
        var survivorAfter = await CensusAsync(plan, survivor.Id, survivorBefore.PrincipalIds);
        Assert.Equal(survivorBefore.Counts, survivorAfter.Counts);

        // The other tenant still works end to end.
        using var survivorRefresh = await new OAuthFlow(factory).RefreshAsync(new OAuthFlow(factory).DemoClient, survivorSeed.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, survivorRefresh.StatusCode);
    }

    [Fact]
    public async Task A_deletion_interrupted_by_a_restart_is_finished_when_the_worker_starts()
    {
        var tenant = await factory.CreateTenantAsync();
        await factory.CreateUserAsync(tenant, $"r{Guid.NewGuid():N}@example.com");

        // Marked as DELETE would leave it, but no worker was woken (the server stopped right after).
        await using (var scope = factory.ScopeFor(_kit.ApplicationId))
        {
            await LanyardFactory.Db(scope).Tenants.Where(t => t.Id == tenant.Id)
                .ExecuteUpdateAsync(u => u.SetProperty(t => t.Status, TenantStatus.DeleteInProgress));
        }

        var worker = ActivatorUtilities.CreateInstance<TenantDeletionWorker>(factory.Services);
        await worker.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            await WaitUntilGoneAsync(tenant.Id);
        }
        finally
        {
            await worker.StopAsync(CancellationToken.None);
            worker.Dispose();
        }

        await using var check = factory.ScopeFor(_kit.ApplicationId, tenant.Id);
        Assert.Equal(0, await LanyardFactory.Db(check).Users.CountAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Deletion_goes_in_batches_and_never_touches_a_live_tenant()
    {
        var tenant = await factory.CreateTenantAsync();
        for (var i = 0; i < 5; i++)
        {
            await factory.CreateUserAsync(tenant, $"b{i}{Guid.NewGuid():N}@example.com", password: null);
        }

        await using (var live = factory.ScopeFor(_kit.ApplicationId))
        {
            Assert.Equal(0, await live.ServiceProvider.GetRequiredService<TenantDeletion>().RunAsync(_kit.ApplicationId, tenant.Id, 2, CancellationToken.None));
        }

        await using (var scope = factory.ScopeFor(_kit.ApplicationId))
        {
            await LanyardFactory.Db(scope).Tenants.Where(t => t.Id == tenant.Id)
                .ExecuteUpdateAsync(u => u.SetProperty(t => t.Status, TenantStatus.DeleteInProgress));
        }

        await using (var batched = factory.Services.CreateAsyncScope())
        {
            // Five users in batches of two, then the tenant itself.
            Assert.Equal(6, await batched.ServiceProvider.GetRequiredService<TenantDeletion>().RunAsync(_kit.ApplicationId, tenant.Id, 2, CancellationToken.None));
        }

        await using var check = factory.ScopeFor(_kit.ApplicationId);
        Assert.False(await LanyardFactory.Db(check).Tenants.AnyAsync(t => t.Id == tenant.Id));
        Assert.Equal(0, await LanyardFactory.Db(check).Users.IgnoreQueryFilters([QueryFilters.Tenant]).CountAsync(u => u.TenantId == tenant.Id));
    }

    private sealed record Seed(string UserId, string RefreshToken);

    /// <summary>A table that can hold a tenant's rows, with what identifies them in it.</summary>
    private sealed record PlannedTable(string Name, string Table, string Column, string? PrincipalTable, string? PrincipalKey, string? PrincipalTenantColumn);

    private sealed record Census(Dictionary<string, long> Counts, Dictionary<string, List<string>> PrincipalIds);

    /// <summary>
    /// Every table that can hold a row of a tenant, read from the model independently of the worker's own plan:
    /// entities that are tenant-owned (or tenant-or-application-owned) or otherwise record a tenant id, and
    /// entities that point by foreign key at one of those.
    /// </summary>
    private async Task<List<PlannedTable>> PlanAsync()
    {
        await using var scope = factory.ScopeFor(_kit.ApplicationId);
        var model = LanyardFactory.Db(scope).Model;
        var owned = model.GetEntityTypes()
            .Where(e => typeof(ITenantOwned).IsAssignableFrom(e.ClrType)
                        || typeof(IApplicationOrTenantOwned).IsAssignableFrom(e.ClrType)
                        || e.FindProperty(nameof(ITenantOwned.TenantId)) is not null)
            .ToList();
        var tables = owned.Select(e => new PlannedTable(e.ClrType.Name, e.GetTableName()!, Column(e, nameof(ITenantOwned.TenantId)), null, null, null)).ToList();
        foreach (var principal in owned)
        {
            foreach (var fk in principal.GetReferencingForeignKeys().Where(fk => fk.DeclaringEntityType.FindProperty(nameof(ITenantOwned.TenantId)) is null))
            {
                var dependent = fk.DeclaringEntityType;
                tables.Add(new PlannedTable(
                    $"{dependent.ClrType.Name} via {principal.ClrType.Name}",
                    dependent.GetTableName()!,
                    Column(dependent, fk.Properties[0].Name),
                    principal.GetTableName(),
                    Column(principal, fk.PrincipalKey.Properties[0].Name),
                    Column(principal, nameof(ITenantOwned.TenantId))));
            }
        }

        return tables;

        static string Column(IEntityType entity, string property) =>
            entity.FindProperty(property)!.GetColumnName(StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema()))!;
    }

    /// <summary>
    /// How many rows of the tenant each planned table holds, counted in SQL past every query filter. Rows that
    /// point at a tenant's row are counted by the ids of those rows as they were before the deletion.
    /// </summary>
    private async Task<Census> CensusAsync(List<PlannedTable> plan, string tenantId, Dictionary<string, List<string>>? principalIdsBefore = null)
    {
        await using var scope = factory.ScopeFor(_kit.ApplicationId);
        var db = LanyardFactory.Db(scope).Database;
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var principalIds = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var table in plan)
        {
            // Table and column names come from the EF model, never from input; values are parameters.
            if (table.PrincipalTable is null)
            {
                var countSql = $"SELECT COUNT(*) AS \"Value\" FROM {table.Table} WHERE {table.Column} = {{0}}";
                counts[table.Name] = await db.SqlQueryRaw<long>(countSql, tenantId).SingleAsync();
                continue;
            }

            var idsSql = $"SELECT {table.PrincipalKey} AS \"Value\" FROM {table.PrincipalTable} WHERE {table.PrincipalTenantColumn} = {{0}}";
            var ids = principalIdsBefore?[table.Name] ?? await db.SqlQueryRaw<string>(idsSql, tenantId).ToListAsync();
            principalIds[table.Name] = ids;
            var pointingSql = $"SELECT COUNT(*) AS \"Value\" FROM {table.Table} WHERE {table.Column} IN ({string.Join(", ", ids.Select((_, i) => $"{{{i}}}"))})";
            counts[table.Name] = ids.Count == 0 ? 0 : await db.SqlQueryRaw<long>(pointingSql, [.. ids]).SingleAsync();
        }

        return new Census(counts, principalIds);
    }

    /// <summary>At least one row of <paramref name="tenant"/> in every table that can hold one, made the way the product makes them where it can.</summary>
    private async Task<Seed> SeedEveryTableAsync(Tenant tenant)
    {
        // Policy and override toggle.
        await factory.SetPolicyAsync(PolicyKind.Mfa, """{"enrollmentStrategy":"OPTIONAL"}""", tenant);

        // User, auth session, grant, authorization code, refresh token: a real login.
        var user = await factory.CreateUserAsync(tenant, $"seed{Guid.NewGuid():N}@example.com");
        var flow = new OAuthFlow(factory);
        var (tokens, _) = await flow.LoginAsync(flow.DemoClient, tenant.Name, user.Email);

        // Tenant role with a permission, held by the user (user role) and by a client (client role), with a permission group.
        var roleId = (await _kit.Roles.RoleAsync(tenant)).GetProperty("id").GetString()!;
        await _kit.Roles.GrantAsync(roleId, await _kit.Roles.PermissionIdAsync("user:read"));
        using (var assigned = await _kit.Roles.AssignAsync(user.Id, [roleId]))
        {
            Assert.Equal(HttpStatusCode.NoContent, assigned.StatusCode);
        }

        var time = factory.Time;
        await using (var scope = factory.ScopeFor(_kit.ApplicationId))
        {
            var db = LanyardFactory.Db(scope);
            var client = await _kit.Roles.MachineClientAsync();
            db.ClientRoles.Add(new ClientRole { ClientId = client.Id, RoleId = roleId });
            var group = new PermissionGroup { Id = LanyardId.New(time), Name = $"app:test:g{Guid.NewGuid():N}", DisplayName = "Seed group" };
            db.PermissionGroups.Add(group);
            db.RolePermissionGroups.Add(new RolePermissionGroup { RoleId = roleId, PermissionGroupId = group.Id });
            db.WorkflowCodes.Add(new WorkflowCode
            {
                Id = LanyardId.New(time), TenantId = tenant.Id, UserId = user.Id, Purpose = WorkflowPurpose.PasswordReset,
                CodeHash = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"), ExpiresAt = time.GetUtcNow().AddHours(1),
            });
            db.OutboxMessages.Add(new OutboxMessage
            {
                Id = LanyardId.New(time), TenantId = tenant.Id, Type = "test", ToAddress = user.Email, Subject = "s", TextBody = "b",
                Status = OutboxStatus.Failed, NextAttemptAt = time.GetUtcNow(),
            });
            await db.SaveChangesAsync();
        }

        await using (var scope = factory.ScopeFor(_kit.ApplicationId, tenant.Id))
        {
            var db = LanyardFactory.Db(scope);
            db.IdentityProviders.Add(new IdentityProvider
            {
                Id = LanyardId.New(time), TenantId = tenant.Id, Type = IdentityProviderType.Okta, Name = "okta", DisplayName = "Okta",
            });
            db.MfaFactors.Add(new MfaFactor { Id = LanyardId.New(time), UserId = user.Id, Type = MfaFactorType.RecoveryCode, CodeHash = "x" });
            db.InvitationRequests.Add(new InvitationRequest
            {
                Id = LanyardId.New(time), UserId = user.Id, Email = user.Email, NormalizedEmail = user.NormalizedEmail,
                Kind = InvitationKind.ExistingUser, ExpiresAt = time.GetUtcNow().AddDays(1),
            });
            await db.SaveChangesAsync();
        }

        return new Seed(user.Id, tokens.RefreshToken!);
    }

    private async Task WaitUntilGoneAsync(string tenantId)
    {
        var deadline = DateTime.UtcNow + WorkerTimeout;
        while (DateTime.UtcNow < deadline)
        {
            await using var scope = factory.ScopeFor(_kit.ApplicationId);
            if (!await LanyardFactory.Db(scope).Tenants.AnyAsync(t => t.Id == tenantId))
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"The tenant was not deleted within {WorkerTimeout.TotalSeconds} s.");
    }
}

public sealed class TenantDeletionOnSqlite(SqliteLanyard factory) : TenantDeletionTests(factory), IClassFixture<SqliteLanyard>;

public sealed class TenantDeletionOnPostgres(PostgresLanyard factory) : TenantDeletionTests(factory), IClassFixture<PostgresLanyard>;
