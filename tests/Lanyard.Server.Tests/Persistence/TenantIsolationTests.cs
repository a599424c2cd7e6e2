using Lanyard.Server.Common;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Sessions;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Persistence;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Persistence;

/// <summary>
/// Two tenants hold users with the same email, roles, policy overrides and toggles. Every way of reading
/// or bulk-writing through the data layer in tenant A's scope must see only A's rows.
/// </summary>
public abstract class TenantIsolationTests(LanyardFactory factory) : IAsyncLifetime
{
    private const string SharedEmail = "same.person@example.com";
    private Tenant _a = null!;
    private Tenant _b = null!;
    private User _userA = null!;
    private User _userB = null!;

    public async ValueTask InitializeAsync()
    {
        factory.RequireDatabase();
        _a = await factory.CreateTenantAsync();
        _b = await factory.CreateTenantAsync();
        _userA = await factory.CreateUserAsync(_a, SharedEmail);
        _userB = await factory.CreateUserAsync(_b, SharedEmail);
        await SeedTenantRowsAsync(_a, _userA);
        await SeedTenantRowsAsync(_b, _userB);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task SeedTenantRowsAsync(Tenant tenant, User user)
    {
        await using var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id);
        var db = LanyardFactory.Db(scope);
        var role = new Role { Id = LanyardId.New(factory.Time), TenantId = tenant.Id, Name = $"tnt:{tenant.Name}:viewer", DisplayName = "Viewer" };
        db.Roles.Add(role);
        db.UserRoles.Add(new UserRole { UserId = user.Id, RoleId = role.Id });
        db.Policies.Add(new Policy { Id = LanyardId.New(factory.Time), TenantId = tenant.Id, Kind = PolicyKind.Password, Settings = "{\"minimumLength\":12}" });
        db.PolicyOverrideToggles.Add(new PolicyOverrideToggle { Id = LanyardId.New(factory.Time), Kind = PolicyKind.Password, Enabled = true });
        db.AuthSessions.Add(new AuthSession { Id = LanyardId.New(factory.Time), UserId = user.Id, HandleHash = OpaqueToken.Hash(OpaqueToken.New()) });
        db.InvitationRequests.Add(new InvitationRequest
        {
            Id = LanyardId.New(factory.Time), UserId = user.Id, Email = user.Email, NormalizedEmail = user.NormalizedEmail, ExpiresAt = factory.Time.GetUtcNow().AddDays(1),
        });
        db.MfaFactors.Add(new Lanyard.Server.Features.Mfa.MfaFactor { Id = LanyardId.New(factory.Time), UserId = user.Id, CodeHash = OpaqueToken.Hash(OpaqueToken.New()) });
        await db.SaveChangesAsync();
    }

    [Fact]
    public void Same_email_lives_in_both_tenants_as_different_users()
    {
        Assert.NotEqual(_userA.Id, _userB.Id);
        Assert.Equal(_a.Id, _userA.TenantId);
        Assert.Equal(_b.Id, _userB.TenantId);
    }

    [Fact]
    public async Task Every_tenant_owned_set_returns_only_the_current_tenants_rows()
    {
        await using var scope = factory.ScopeFor(_a.ApplicationId, _a.Id);
        var db = LanyardFactory.Db(scope);

        var tenantOwned = db.Model.GetEntityTypes().Where(e => typeof(ITenantOwned).IsAssignableFrom(e.ClrType)).ToList();
        Assert.NotEmpty(tenantOwned);
        foreach (var entityType in tenantOwned)
        {
            var rows = await QueryAllAsync(db, entityType.ClrType);
            Assert.True(rows.Count > 0, $"{entityType.ClrType.Name}: the test seeds at least one row per tenant");
            Assert.All(rows, r => Assert.Equal(_a.Id, ((ITenantOwned)r).TenantId));
        }

        var shared = await db.Policies.ToListAsync();
        Assert.DoesNotContain(shared, p => p.TenantId == _b.Id);
        Assert.Contains(shared, p => p.TenantId == _a.Id);
        Assert.DoesNotContain(await db.Roles.ToListAsync(), r => r.TenantId == _b.Id);
    }

    [Fact]
    public async Task Other_tenants_rows_are_invisible_by_id_email_find_and_raw_queries()
    {
        await using var scope = factory.ScopeFor(_a.ApplicationId, _a.Id);
        var db = LanyardFactory.Db(scope);

        Assert.Null(await db.Users.FindAsync(_userB.Id));
        Assert.Null(await db.Users.FirstOrDefaultAsync(u => u.Id == _userB.Id));
        Assert.Equal(_userA.Id, (await db.Users.SingleAsync(u => u.NormalizedEmail == SharedEmail)).Id);
        Assert.Equal(1, await db.Users.CountAsync(u => u.NormalizedEmail == SharedEmail));
        Assert.Empty(await db.UserRoles.Where(ur => ur.UserId == _userB.Id).ToListAsync());
        Assert.Empty(await db.Users.FromSql($"SELECT * FROM users WHERE id = {_userB.Id}").ToListAsync());
        Assert.Empty(await db.Users.Select(u => u.TenantId).Where(t => t == _b.Id).ToListAsync());
    }

    [Fact]
    public async Task Bulk_updates_and_deletes_cannot_reach_another_tenant()
    {
        await using (var scope = factory.ScopeFor(_a.ApplicationId, _a.Id))
        {
            var db = LanyardFactory.Db(scope);
            var updated = await db.Users.Where(u => u.Id == _userB.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.GivenName, "Mallory"));
            var deleted = await db.UserRoles.Where(ur => ur.UserId == _userB.Id).ExecuteDeleteAsync();
            Assert.Equal(0, updated);
            Assert.Equal(0, deleted);
        }

        await using var scopeB = factory.ScopeFor(_b.ApplicationId, _b.Id);
        var dbB = LanyardFactory.Db(scopeB);
        Assert.NotEqual("Mallory", (await dbB.Users.SingleAsync(u => u.Id == _userB.Id)).GivenName);
        Assert.Equal(1, await dbB.UserRoles.CountAsync(ur => ur.UserId == _userB.Id));
    }

    [Fact]
    public async Task Application_scope_without_a_tenant_sees_no_tenant_rows()
    {
        await using var scope = factory.ScopeFor(_a.ApplicationId);
        var db = LanyardFactory.Db(scope);

        Assert.Equal(0, await db.Users.CountAsync());
        Assert.Equal(0, await db.UserRoles.CountAsync());
        Assert.DoesNotContain(await db.Policies.ToListAsync(), p => p.TenantId is not null);
    }

    [Fact]
    public async Task No_scope_sees_nothing()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LanyardDbContext>();

        Assert.Equal(0, await db.Users.CountAsync());
        Assert.Equal(0, await db.Tenants.CountAsync());
        Assert.Equal(0, await db.Clients.CountAsync());
    }

    [Fact]
    public async Task A_pooled_context_sees_only_the_tenant_of_the_scope_that_leased_it()
    {
        // Contexts are pooled: the instance that served tenant A's scope serves the next scope, which must not
        // inherit A's tenant (nor its unsent outbox flag).
        var instances = new HashSet<LanyardDbContext>(ReferenceEqualityComparer.Instance);
        for (var round = 0; round < 20; round++)
        {
            foreach (var (tenant, user) in new[] { (_a, _userA), (_b, _userB), ((Tenant?)null, (User?)null) })
            {
                await using var scope = tenant is null ? factory.Services.CreateAsyncScope() : factory.ScopeFor(tenant.ApplicationId, tenant.Id);
                var db = LanyardFactory.Db(scope);
                instances.Add(db);
                Assert.False(db.OutboxPending);

                var seen = await db.Users.Select(u => u.Id).ToListAsync();

                Assert.Equal(user is null ? [] : [user.Id], seen);
                db.OutboxPending = true;
            }
        }

        Assert.True(instances.Count < 60, $"{instances.Count} contexts for 60 scopes: the pool handed none out twice");
    }

    [Fact]
    public async Task Changing_the_tenant_of_a_saved_row_is_refused()
    {
        await using var scope = factory.ScopeFor(_a.ApplicationId, _a.Id);
        var db = LanyardFactory.Db(scope);
        var user = await db.Users.AsTracking().SingleAsync(u => u.Id == _userA.Id);

        user.TenantId = _b.Id;

        await Assert.ThrowsAsync<TenantIsolationException>(() => db.SaveChangesAsync());
    }

    [Fact]
    public async Task Changing_the_tenant_of_a_tenant_owned_policy_is_refused()
    {
        await using var scope = factory.ScopeFor(_a.ApplicationId, _a.Id);
        var db = LanyardFactory.Db(scope);
        var policy = await db.Policies.AsTracking().SingleAsync(p => p.TenantId == _a.Id);

        policy.TenantId = null; // promoting a tenant's override to the application default is a tenant change too

        await Assert.ThrowsAsync<TenantIsolationException>(() => db.SaveChangesAsync());
    }

    [Fact]
    public async Task Inserting_a_row_for_another_tenant_is_refused()
    {
        await using var scope = factory.ScopeFor(_a.ApplicationId, _a.Id);
        var db = LanyardFactory.Db(scope);

        db.UserRoles.Add(new UserRole { TenantId = _b.Id, UserId = _userB.Id, RoleId = "whatever" });

        await Assert.ThrowsAsync<TenantIsolationException>(() => db.SaveChangesAsync());
    }

    [Fact]
    public async Task Inserting_a_tenant_row_without_a_tenant_in_scope_is_refused()
    {
        await using var scope = factory.ScopeFor(_a.ApplicationId);
        var db = LanyardFactory.Db(scope);

        db.UserRoles.Add(new UserRole { UserId = _userA.Id, RoleId = "whatever" });

        await Assert.ThrowsAsync<TenantIsolationException>(() => db.SaveChangesAsync());
    }

    [Fact]
    public async Task Inserted_rows_are_stamped_with_the_scope_tenant()
    {
        await using var scope = factory.ScopeFor(_a.ApplicationId, _a.Id);
        var db = LanyardFactory.Db(scope);
        var toggle = new PolicyOverrideToggle { Id = LanyardId.New(factory.Time), Kind = PolicyKind.Mfa, Enabled = true };

        db.PolicyOverrideToggles.Add(toggle);
        await db.SaveChangesAsync();

        Assert.Equal(_a.Id, toggle.TenantId);
        Assert.Equal(_a.ApplicationId, toggle.ApplicationId);
    }

    private static async Task<List<object>> QueryAllAsync(LanyardDbContext db, Type clrType)
    {
        var method = typeof(TenantIsolationTests).GetMethod(nameof(QueryAllGenericAsync), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        return await (Task<List<object>>)method.MakeGenericMethod(clrType).Invoke(null, [db])!;
    }

    private static async Task<List<object>> QueryAllGenericAsync<T>(LanyardDbContext db) where T : class =>
        [.. (await db.Set<T>().ToListAsync()).Cast<object>()];
}

public sealed class TenantIsolationOnSqlite(SqliteLanyard factory) : TenantIsolationTests(factory), IClassFixture<SqliteLanyard>;

public sealed class TenantIsolationOnPostgres(PostgresLanyard factory) : TenantIsolationTests(factory), IClassFixture<PostgresLanyard>;
