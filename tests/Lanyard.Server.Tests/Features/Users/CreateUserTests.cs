using Lanyard.Server.Common;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Users;

public abstract class CreateUserTests(LanyardFactory factory)
{
    private async Task<CreateUserResult> CreateAsync(Tenant tenant, CreateUserRequest request)
    {
        await using var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id);
        return await scope.ServiceProvider.GetRequiredService<CreateUser>().ExecuteAsync(request, CancellationToken.None);
    }

    [Fact]
    public async Task Duplicate_email_within_a_tenant_is_not_unique_regardless_of_case()
    {
        var tenant = await factory.CreateTenantAsync();
        await factory.CreateUserAsync(tenant, "ann@example.com");

        var result = await CreateAsync(tenant, new CreateUserRequest(" ANN@Example.com "));

        Assert.True(Assert.IsType<CreateUserResult.Invalid>(result).Violations.Has("email", ViolationCodes.NotUnique));
    }

    [Fact]
    public async Task Duplicate_username_within_a_tenant_is_not_unique()
    {
        var tenant = await factory.CreateTenantAsync();
        Assert.IsType<CreateUserResult.Created>(await CreateAsync(tenant, new CreateUserRequest("a@example.com", Username: "ann")));

        var result = await CreateAsync(tenant, new CreateUserRequest("b@example.com", Username: "Ann"));

        Assert.True(Assert.IsType<CreateUserResult.Invalid>(result).Violations.Has("username", ViolationCodes.NotUnique));
    }

    [Fact]
    public async Task Parallel_creation_of_one_email_yields_exactly_one_user()
    {
        var tenant = await factory.CreateTenantAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => CreateAsync(tenant, new CreateUserRequest("race@example.com"))));

        Assert.Single(results.OfType<CreateUserResult.Created>());
        Assert.All(results.OfType<CreateUserResult.Invalid>(), r => Assert.True(r.Violations.Has("email", ViolationCodes.NotUnique)));
    }

    [Theory]
    [InlineData(null, ViolationCodes.Required)]
    [InlineData("", ViolationCodes.Required)]
    [InlineData("not-an-email", ViolationCodes.InvalidFormat)]
    [InlineData("Ann <ann@example.com>", ViolationCodes.InvalidFormat)]
    [InlineData("ann@localhost", ViolationCodes.InvalidFormat)]
    public async Task Bad_emails_are_refused(string? email, string code)
    {
        var tenant = await factory.CreateTenantAsync();

        var result = await CreateAsync(tenant, new CreateUserRequest(email));

        Assert.True(Assert.IsType<CreateUserResult.Invalid>(result).Violations.Has("email", code));
    }

    [Fact]
    public async Task Email_longer_than_200_characters_is_too_long()
    {
        var tenant = await factory.CreateTenantAsync();

        var result = await CreateAsync(tenant, new CreateUserRequest(new string('a', 190) + "@example.com"));

        Assert.True(Assert.IsType<CreateUserResult.Invalid>(result).Violations.Has("email", ViolationCodes.TooLong));
    }

    [Theory]
    [InlineData("short", ViolationCodes.TooShort)]
    [InlineData("this-password-is-far-too-long-for-any-password-policy-lanyard-has", ViolationCodes.TooLong)]
    public async Task Passwords_outside_8_to_64_characters_are_refused(string password, string code)
    {
        var tenant = await factory.CreateTenantAsync();

        var result = await CreateAsync(tenant, new CreateUserRequest("p@example.com", password));

        Assert.True(Assert.IsType<CreateUserResult.Invalid>(result).Violations.Has("password", code));
    }

    [Fact]
    public async Task Password_is_stored_as_a_verifiable_hash_never_in_clear()
    {
        var tenant = await factory.CreateTenantAsync();

        var user = await factory.CreateUserAsync(tenant, "hash@example.com", "correct horse battery");

        Assert.True(user.HasPassword);
        Assert.DoesNotContain("correct horse battery", user.PasswordHash!, StringComparison.Ordinal);
        var hasher = factory.Services.GetRequiredService<PasswordHasher>();
        Assert.NotEqual(PasswordVerification.Failed, await hasher.VerifyAsync("correct horse battery", user.PasswordHash, TestContext.Current.CancellationToken));
        Assert.Equal(PasswordVerification.Failed, await hasher.VerifyAsync("correct horse batterY", user.PasswordHash, TestContext.Current.CancellationToken));
    }
}

public sealed class CreateUserOnSqlite(SqliteLanyard factory) : CreateUserTests(factory), IClassFixture<SqliteLanyard>;

public sealed class CreateUserOnPostgres(PostgresLanyard factory) : CreateUserTests(factory), IClassFixture<PostgresLanyard>;
