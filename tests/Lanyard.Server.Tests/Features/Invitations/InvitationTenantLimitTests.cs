using System.Net;
using Lanyard.Server.Features.Users;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Invitations;

/// <summary>The per-tenant invitation limit, lowered through configuration so the test stays small.</summary>
public abstract class InvitationTenantLimitTests(LanyardFactory factory)
{
    private readonly InvitationKit _kit = new(factory);

    [Fact]
    public async Task A_tenant_over_its_hourly_invitation_limit_gets_429_until_the_window_passes()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var other = await factory.CreateTenantAsync();
        for (var i = 0; i < 3; i++)
        {
            using var ok = await _kit.InviteAsync(tenant, InvitationKit.NewEmail());
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }

        var provisioned = await _kit.CreateUserAsync(tenant, InvitationKit.NewEmail(), null, UserStatus.Provisioned);
        using var refused = await _kit.InviteAsync(tenant, InvitationKit.NewEmail());
        using var refusedExisting = await _kit.PostAsync("/api/v1/existing-user-invitation/invite-user", new { userId = provisioned.Id });

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("too_many_requests", await InvitationKit.ErrorCodeAsync(refused));
        Assert.Equal(HttpStatusCode.TooManyRequests, refusedExisting.StatusCode);

        using var otherTenant = await _kit.InviteAsync(other, InvitationKit.NewEmail());
        Assert.Equal(HttpStatusCode.Created, otherTenant.StatusCode);

        factory.Time.Advance(TimeSpan.FromHours(1));
        await _kit.FreshAdminAsync();
        using var later = await _kit.InviteAsync(tenant, InvitationKit.NewEmail());
        Assert.Equal(HttpStatusCode.Created, later.StatusCode);
    }
}

/// <summary>A server whose tenants may send three invitations an hour.</summary>
public sealed class LowInviteLimitSqlite : LanyardFactory
{
    public LowInviteLimitSqlite() : base(Database.Sqlite) => With("Lanyard:Throttling:InvitationsPerTenant", "3");
}

public sealed class LowInviteLimitPostgres : LanyardFactory
{
    public LowInviteLimitPostgres() : base(Database.Postgres) => With("Lanyard:Throttling:InvitationsPerTenant", "3");
}

public sealed class InvitationTenantLimitOnSqlite(LowInviteLimitSqlite factory) : InvitationTenantLimitTests(factory), IClassFixture<LowInviteLimitSqlite>;

public sealed class InvitationTenantLimitOnPostgres(LowInviteLimitPostgres factory) : InvitationTenantLimitTests(factory), IClassFixture<LowInviteLimitPostgres>;
