using Lanyard.Server.Common;
using Lanyard.Server.Features.Tenants;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Tenants;

public abstract class CreateTenantTests(LanyardFactory factory)
{
    private async Task<CreateTenantResult> CreateAsync(CreateTenantRequest request)
    {
        await factory.StartAsync();
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        return await scope.ServiceProvider.GetRequiredService<CreateTenant>().ExecuteAsync(request, CancellationToken.None);
    }

    [Theory]
    [InlineData(null, ViolationCodes.Required)]
    [InlineData("", ViolationCodes.Required)]
    [InlineData("   ", ViolationCodes.Required)]
    [InlineData("ab", ViolationCodes.TooShort)]
    [InlineData("abcdefghijklmnopqrstu", ViolationCodes.TooLong)]
    [InlineData("-acme", ViolationCodes.InvalidFormat)]
    [InlineData("acme-", ViolationCodes.InvalidFormat)]
    [InlineData("ac me", ViolationCodes.InvalidFormat)]
    [InlineData("acme.corp", ViolationCodes.InvalidFormat)]
    [InlineData("acme_corp", ViolationCodes.InvalidFormat)]
    [InlineData("acmé", ViolationCodes.InvalidFormat)]
    [InlineData("acme\u0000x", ViolationCodes.InvalidFormat)]
    [InlineData("admin", ViolationCodes.InvalidValue)]
    public async Task Names_outside_the_rules_are_refused_with_a_code(string? name, string code)
    {
        var result = await CreateAsync(new CreateTenantRequest(name, "Acme"));

        var invalid = Assert.IsType<CreateTenantResult.Invalid>(result);
        Assert.True(invalid.Violations.Has("name", code), invalid.Violations.ToString());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("abcdefghijklmnopqrst")]
    [InlineData("Acme-Corp-2")]
    [InlineData("123")]
    public async Task Names_inside_the_rules_are_accepted(string baseName)
    {
        // Suffix-free names may collide across providers' runs of this class; the database is fresh per class.
        var result = await CreateAsync(new CreateTenantRequest(baseName, "Acme"));

        Assert.Equal(baseName, Assert.IsType<CreateTenantResult.Created>(result).Tenant.Name);
    }

    [Fact]
    public async Task Every_violation_is_reported_at_once()
    {
        var result = await CreateAsync(new CreateTenantRequest("x", "", AllowedSignupEmailDomains: ["not a domain"]));

        var violations = Assert.IsType<CreateTenantResult.Invalid>(result).Violations;
        Assert.True(violations.Has("name", ViolationCodes.TooShort));
        Assert.True(violations.Has("displayName", ViolationCodes.Required));
        Assert.True(violations.Has("allowedSignupEmailDomains", ViolationCodes.InvalidFormat));
    }

    [Fact]
    public async Task A_name_differing_only_in_case_is_not_unique()
    {
        var name = TestData.UniqueTenantName("Case");
        Assert.IsType<CreateTenantResult.Created>(await CreateAsync(new CreateTenantRequest(name, "First")));

        var result = await CreateAsync(new CreateTenantRequest(name.ToUpperInvariant(), "Second"));

        Assert.True(Assert.IsType<CreateTenantResult.Invalid>(result).Violations.Has("name", ViolationCodes.NotUnique));
    }

    [Fact]
    public async Task Parallel_creation_of_one_name_yields_exactly_one_tenant()
    {
        await factory.StartAsync();
        var name = TestData.UniqueTenantName("race");

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            CreateAsync(new CreateTenantRequest(i % 2 == 0 ? name : name.ToUpperInvariant(), $"Racer {i}"))));

        Assert.Single(results.OfType<CreateTenantResult.Created>());
        Assert.All(results.OfType<CreateTenantResult.Invalid>(), r => Assert.True(r.Violations.Has("name", ViolationCodes.NotUnique)));
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        Assert.Equal(1, await LanyardFactory.Db(scope).Tenants.CountAsync(t => t.NormalizedName == name.ToLowerInvariant()));
    }

    [Fact]
    public async Task Signup_email_domains_are_normalized_and_deduplicated()
    {
        var result = await CreateAsync(new CreateTenantRequest(TestData.UniqueTenantName(), "Acme", true, ["Acme.COM", "@acme.com", "sub.acme.com"]));

        Assert.Equal(["acme.com", "sub.acme.com"], Assert.IsType<CreateTenantResult.Created>(result).Tenant.AllowedSignupEmailDomains);
    }
}

public sealed class CreateTenantOnSqlite(SqliteLanyard factory) : CreateTenantTests(factory), IClassFixture<SqliteLanyard>;

public sealed class CreateTenantOnPostgres(PostgresLanyard factory) : CreateTenantTests(factory), IClassFixture<PostgresLanyard>;
