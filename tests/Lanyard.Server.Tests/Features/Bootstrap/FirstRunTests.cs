using System.Text.Json;
using Lanyard.Server.Features.Bootstrap;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Tests.Features.Mfa;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Bootstrap;

public abstract class FirstRunTests(LanyardFactory factory)
{
    private static readonly string[] ExpectedKeys =
    [
        "applicationId", "applicationVanityDomain", "tenantHostStyle", "adminClientId", "adminClientSecret", "demoTenantName",
        "demoUserEmail", "demoUserPassword", "demoClientId", "demoClientSecret", "demoClientRedirectUri", "demoClientLoginUrl",
        "httpsUrl", "httpUrl", "devCaCertificatePath",
    ];

    private string BootstrapPath => Path.Combine(factory.DataDirectory, "bootstrap.json");

    [Fact]
    public async Task Bootstrap_file_has_exactly_the_documented_keys_and_owner_only_mode()
    {
        await factory.StartAsync();

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(BootstrapPath));
        Assert.Equal(ExpectedKeys.Order(StringComparer.Ordinal), json.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(BootstrapPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(factory.DataDirectory));
        Assert.Equal("-", factory.Bootstrap.TenantHostStyle);
        Assert.Equal("demo", factory.Bootstrap.DemoTenantName);
        Assert.Equal("https://localhost:6001/auth/callback", factory.Bootstrap.DemoClientRedirectUri);
        Assert.Equal("https://localhost:6001/auth/login", factory.Bootstrap.DemoClientLoginUrl);
    }

    [Fact]
    public async Task Seeded_clients_hold_hashes_that_verify_the_written_secrets()
    {
        await factory.StartAsync();
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        var db = LanyardFactory.Db(scope);
        var hasher = scope.ServiceProvider.GetRequiredService<ClientSecretHasher>();

        var admin = await db.Clients.SingleAsync(c => c.Id == factory.Bootstrap.AdminClientId);
        var demo = await db.Clients.SingleAsync(c => c.Id == factory.Bootstrap.DemoClientId);

        Assert.Equal(OAuthClientType.MachineToMachine, admin.Type);
        Assert.True(hasher.Verify(factory.Bootstrap.AdminClientSecret, admin.SecretHash));
        Assert.False(hasher.Verify(factory.Bootstrap.DemoClientSecret, admin.SecretHash));
        Assert.DoesNotContain(factory.Bootstrap.AdminClientSecret, admin.SecretHash!, StringComparison.Ordinal);
        Assert.Equal(OAuthClientType.BackendServer, demo.Type);
        Assert.True(hasher.Verify(factory.Bootstrap.DemoClientSecret, demo.SecretHash));
        Assert.Equal([FirstRun.DemoClientRedirectUri], demo.RedirectUris);
    }

    [Fact]
    public async Task Admin_client_holds_every_management_permission()
    {
        await factory.StartAsync();
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        var db = LanyardFactory.Db(scope);

        var permissions = await (
            from cr in db.ClientRoles
            where cr.ClientId == factory.Bootstrap.AdminClientId
            join rp in db.RolePermissions on cr.RoleId equals rp.RoleId
            join p in db.Permissions on rp.PermissionId equals p.Id
            select p.Value).ToListAsync();

        Assert.Equal(ManagementPermissions.All.Order(StringComparer.Ordinal), permissions.Order(StringComparer.Ordinal));
        Assert.Contains("tenant:create", permissions);
        Assert.Contains("user:read", permissions);
    }

    [Fact]
    public async Task A_database_seeded_by_an_older_version_gets_the_missing_management_permissions_at_the_next_start()
    {
        await factory.StartAsync();
        var countBefore = await PermissionCountAsync();
        await using (var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId))
        {
            // An older version knew no "tenant:create", and its Admin Client role lacked "user:read".
            var db = LanyardFactory.Db(scope);
            var dropped = await db.Permissions.Where(p => p.Value == "tenant:create").Select(p => p.Id).SingleAsync();
            var unlinked = await db.Permissions.Where(p => p.Value == "user:read").Select(p => p.Id).SingleAsync();
            await db.RolePermissions.Where(rp => rp.PermissionId == dropped || rp.PermissionId == unlinked).ExecuteDeleteAsync();
            await db.Permissions.Where(p => p.Id == dropped).ExecuteDeleteAsync();
        }

        // The next start of the server (a second node over the same database) adds what is missing, in the background
        // once it is ready, and only once.
        await using (var upgraded = new SiblingLanyard(factory))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, (await upgraded.ClientFor(LanyardFactory.ApplicationHost).GetAsync("/readyz")).StatusCode);
            await WaitUntilAsync(async () => await PermissionCountAsync() == countBefore, "the missing permissions added");
        }

        await using (var again = new SiblingLanyard(factory))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, (await again.ClientFor(LanyardFactory.ApplicationHost).GetAsync("/readyz")).StatusCode);
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }

        Assert.Equal(countBefore, await PermissionCountAsync());
        await using var check = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        var checkDb = LanyardFactory.Db(check);
        Assert.Equal(RbacType.Predefined, (await checkDb.Permissions.SingleAsync(p => p.Value == "tenant:create")).Type);
        var held = await (
            from cr in checkDb.ClientRoles
            where cr.ClientId == factory.Bootstrap.AdminClientId
            join rp in checkDb.RolePermissions on cr.RoleId equals rp.RoleId
            join p in checkDb.Permissions on rp.PermissionId equals p.Id
            select p.Value).ToListAsync();
        Assert.Equal(ManagementPermissions.All.Order(StringComparer.Ordinal), held.Order(StringComparer.Ordinal));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(15); !await condition(); await Task.Delay(50, TestContext.Current.CancellationToken))
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
        }
    }

    private async Task<int> PermissionCountAsync()
    {
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        return await LanyardFactory.Db(scope).Permissions.CountAsync() + await LanyardFactory.Db(scope).RolePermissions.CountAsync();
    }

    [Fact]
    public async Task Demo_user_is_active_in_the_demo_tenant_and_its_password_verifies()
    {
        await factory.StartAsync();
        await using var appScope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        var tenant = await LanyardFactory.Db(appScope).Tenants.SingleAsync(t => t.Name == factory.Bootstrap.DemoTenantName);
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId, tenant.Id);

        var user = await LanyardFactory.Db(scope).Users.SingleAsync(u => u.Email == factory.Bootstrap.DemoUserEmail);

        Assert.Equal(UserStatus.Active, user.Status);
        Assert.True(user.EmailVerified);
        Assert.Equal("wristband", user.IdentityProviderName);
        Assert.NotEqual(PasswordVerification.Failed,
            await scope.ServiceProvider.GetRequiredService<PasswordHasher>().VerifyAsync(
                factory.Bootstrap.DemoUserPassword, user.PasswordHash, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_second_run_on_a_seeded_database_changes_nothing()
    {
        await factory.StartAsync();
        var before = await File.ReadAllTextAsync(BootstrapPath);

        var again = await factory.Services.GetRequiredService<FirstRun>().RunAsync(CancellationToken.None);

        Assert.Null(again);
        Assert.Equal(before, await File.ReadAllTextAsync(BootstrapPath));
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        Assert.Equal(2, await LanyardFactory.Db(scope).Clients.CountAsync());
    }
}

public sealed class FirstRunOnSqlite(SqliteLanyard factory) : FirstRunTests(factory), IClassFixture<SqliteLanyard>;

public sealed class FirstRunOnPostgres(PostgresLanyard factory) : FirstRunTests(factory), IClassFixture<PostgresLanyard>;
