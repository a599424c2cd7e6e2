using System.Net;
using System.Text.Json;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Tests.Features.Roles;
using Lanyard.Server.Tests.Features.Tenants.Api;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Users.Api;

/// <summary>
/// POST, GET, PATCH and DELETE /api/v1/users and DELETE /users/{id}/auth-sessions through HTTP on the real
/// providers: the full user shape (never a hash), every validation error, field permissions, SELF, and
/// what deactivating, deleting and revoking do to sessions and tokens.
/// </summary>
public abstract class UserApiTests(LanyardFactory factory)
{
    private static readonly string[] Shape =
    [
        "id", "tenantId", "applicationId", "identityProviderName", "identityProviderType", "email", "emailVerified", "username",
        "externalId", "fullName", "givenName", "familyName", "middleName", "honorificPrefix", "honorificSuffix", "nickname",
        "displayName", "pictureUrl", "gender", "birthdate", "phoneNumber", "preferredLanguage", "locale", "timeZone", "hasPassword",
        "status", "publicMetadata", "restrictedMetadata", "metadata",
    ];

    private readonly ResourceKit _kit = new(factory);

    private static string Email() => $"api{Guid.NewGuid():N}@example.com";

    private async Task<JsonElement> CreatedAsync(Tenant tenant, object? extra = null)
    {
        var body = new Dictionary<string, object?> { ["tenantId"] = tenant.Id, ["identityProviderName"] = "wristband", ["email"] = Email() };
        foreach (var property in JsonSerializer.SerializeToElement(extra ?? new { }).EnumerateObject())
        {
            body[property.Name] = property.Value;
        }

        using var response = await ResourceKit.PostAsync(await _kit.AdminAsync(), "/api/v1/users", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await ResourceKit.BodyAsync(response);
    }

    [Fact]
    public async Task A_user_is_created_with_every_field_and_read_back_without_its_hash()
    {
        var tenant = await factory.CreateTenantAsync();
        var email = Email();
        using var created = await ResourceKit.PostAsync(await _kit.AdminAsync(), "/api/v1/users", new
        {
            tenantId = tenant.Id,
            identityProviderName = "wristband",
            email,
            emailVerified = true,
            password = "correct horse battery",
            username = "ann.lee",
            externalId = "ext-1",
            fullName = "Ann Lee",
            givenName = "Ann",
            familyName = "Lee",
            middleName = "M",
            honorificPrefix = "Dr",
            honorificSuffix = "PhD",
            nickname = "annie",
            displayName = "Ann L.",
            pictureUrl = "https://cdn.example.com/ann.png",
            gender = "female",
            birthdate = "1990-02-03",
            phoneNumber = "+15551234567",
            preferredLanguage = "en-US",
            locale = "en-GB",
            timeZone = "Europe/London",
            publicMetadata = new { team = "blue" },
            restrictedMetadata = new { tier = 2 },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await ResourceKit.BodyAsync(created);
        var id = body.GetProperty("id").GetString()!;
        Assert.Equal($"/api/v1/users/{id}", created.Headers.Location!.OriginalString);
        Assert.Equal(Shape, body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(tenant.Id, body.GetProperty("tenantId").GetString());
        Assert.Equal(_kit.ApplicationId, body.GetProperty("applicationId").GetString());
        Assert.Equal("wristband", body.GetProperty("identityProviderName").GetString());
        Assert.Equal("WRISTBAND", body.GetProperty("identityProviderType").GetString());
        Assert.Equal(email, body.GetProperty("email").GetString());
        Assert.True(body.GetProperty("emailVerified").GetBoolean());
        Assert.Equal("1990-02-03", body.GetProperty("birthdate").GetString());
        Assert.Equal("Europe/London", body.GetProperty("timeZone").GetString());
        Assert.True(body.GetProperty("hasPassword").GetBoolean());
        Assert.Equal("PROVISIONED", body.GetProperty("status").GetString());
        Assert.Equal("blue", body.GetProperty("publicMetadata").GetProperty("team").GetString());
        Assert.Equal(2, body.GetProperty("restrictedMetadata").GetProperty("tier").GetInt32());
        var metadata = body.GetProperty("metadata");
        Assert.Equal(["version", "creationTime", "lastModifiedTime", "activationTime", "deactivationTime", "lastVerificationTime"], metadata.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, metadata.GetProperty("version").GetInt64());
        Assert.DoesNotContain("pbkdf2", await created.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        using var read = await ResourceKit.GetAsync(await _kit.AdminAsync(), $"/api/v1/users/{id}");
        Assert.Equal(body.ToString(), (await ResourceKit.BodyAsync(read)).ToString());

        using var projected = await ResourceKit.GetAsync(await _kit.AdminAsync(), $"/api/v1/users/{id}?fields=email,status");
        Assert.Equal(["id", "email", "status"], (await ResourceKit.BodyAsync(projected)).EnumerateObject().Select(p => p.Name));

        // The password set through the API logs in.
        await factory.SetPolicyAsync(Lanyard.Server.Features.Policies.PolicyKind.Mfa, """{"enrollmentStrategy":"OPTIONAL"}""", tenant);
        using (var activate = await ResourceKit.PatchAsync(await _kit.AdminAsync(), $"/api/v1/users/{id}", new { status = "ACTIVE" }))
        {
            Assert.Equal(HttpStatusCode.OK, activate.StatusCode);
            Assert.NotEqual(JsonValueKind.Null, (await ResourceKit.BodyAsync(activate)).GetProperty("metadata").GetProperty("activationTime").ValueKind);
        }

        var flow = new OAuthFlow(factory);
        var (tokens, _) = await flow.LoginAsync(flow.DemoClient, tenant.Name, email);
        Assert.False(string.IsNullOrEmpty(tokens.AccessToken));
    }

    [Theory]
    [InlineData("ACTIVE")]
    [InlineData("INACTIVE")]
    public async Task A_created_user_may_start_active_or_inactive(string status)
    {
        var tenant = await factory.CreateTenantAsync();
        var body = await CreatedAsync(tenant, new { status });
        Assert.Equal(status, body.GetProperty("status").GetString());
        var times = body.GetProperty("metadata");
        Assert.Equal(status == "ACTIVE", times.GetProperty("activationTime").ValueKind != JsonValueKind.Null);
        Assert.Equal(status == "INACTIVE", times.GetProperty("deactivationTime").ValueKind != JsonValueKind.Null);
        Assert.False(body.GetProperty("hasPassword").GetBoolean());
    }

    public static TheoryData<string, string, string> BadCreateBodies => new()
    {
        { """{"email":"a@example.com"}""", "tenantId", ViolationCodes.Required },
        { """{"tenantId":"{t}"}""", "email", ViolationCodes.Required },
        { """{"tenantId":"{t}","email":"not-an-email"}""", "email", ViolationCodes.InvalidFormat },
        { """{"tenantId":"{t}","email":5}""", "email", ViolationCodes.InvalidFormat },
        { """{"tenantId":"{t}","email":"a@example.com","identityProviderName":"okta"}""", "identityProviderName", ViolationCodes.InvalidValue },
        { """{"tenantId":"{t}","email":"a@example.com","password":"short"}""", "password", ViolationCodes.TooShort },
        { """{"tenantId":"{t}","email":"a@example.com","phoneNumber":"555-1234"}""", "phoneNumber", ViolationCodes.InvalidFormat },
        { """{"tenantId":"{t}","email":"a@example.com","birthdate":"03/02/1990"}""", "birthdate", ViolationCodes.InvalidFormat },
        { """{"tenantId":"{t}","email":"a@example.com","birthdate":"2999-01-01"}""", "birthdate", ViolationCodes.InvalidValue },
        { """{"tenantId":"{t}","email":"a@example.com","givenName":"{long}"}""", "givenName", ViolationCodes.TooLong },
        { """{"tenantId":"{t}","email":"a@example.com","nickname":"{long}"}""", "nickname", ViolationCodes.TooLong },
        { """{"tenantId":"{t}","email":"a@example.com","pictureUrl":"javascript:alert(1)"}""", "pictureUrl", ViolationCodes.InvalidFormat },
        { """{"tenantId":"{t}","email":"a@example.com","locale":"en_US!"}""", "locale", ViolationCodes.InvalidFormat },
        { """{"tenantId":"{t}","email":"a@example.com","timeZone":"Mars/Olympus Mons"}""", "timeZone", ViolationCodes.InvalidFormat },
        { """{"tenantId":"{t}","email":"a@example.com","status":"PENDING_SIGNUP_ACTIVATION"}""", "status", ViolationCodes.InvalidValue },
        { """{"tenantId":"{t}","email":"a@example.com","emailVerified":"true"}""", "emailVerified", ViolationCodes.InvalidFormat },
        { """{"tenantId":"{t}","email":"a@example.com","publicMetadata":"x"}""", "publicMetadata", ViolationCodes.InvalidFormat },
        { """{"tenantId":"{t}","email":"a@example.com","passwordHash":"x"}""", "passwordHash", ViolationCodes.InvalidValue },
    };

    [Theory]
    [MemberData(nameof(BadCreateBodies))]
    public async Task Each_invalid_create_body_gets_its_violation(string json, string field, string code)
    {
        var tenant = await factory.CreateTenantAsync();
        json = json.Replace("{t}", tenant.Id, StringComparison.Ordinal).Replace("{long}", new string('x', 201), StringComparison.Ordinal);
        using var response = await ResourceKit.SendAsync(await _kit.AdminAsync(), HttpMethod.Post, "/api/v1/users", json);
        await ResourceKit.AssertViolationAsync(response, field, code);

        await using var scope = factory.ScopeFor(_kit.ApplicationId, tenant.Id);
        Assert.Equal(0, await LanyardFactory.Db(scope).Users.CountAsync());
    }

    [Fact]
    public async Task Duplicates_within_a_tenant_are_not_unique_and_another_tenant_may_reuse_them()
    {
        var (tenant, other) = (await factory.CreateTenantAsync(), await factory.CreateTenantAsync());
        var first = await CreatedAsync(tenant, new { username = "dup", externalId = "x-1" });
        var email = first.GetProperty("email").GetString()!;
        var admin = await _kit.AdminAsync();

        using (var sameEmail = await ResourceKit.PostAsync(admin, "/api/v1/users", new { tenantId = tenant.Id, email = email.ToUpperInvariant() }))
        {
            await ResourceKit.AssertViolationAsync(sameEmail, "email", ViolationCodes.NotUnique);
        }

        using (var sameUsername = await ResourceKit.PostAsync(admin, "/api/v1/users", new { tenantId = tenant.Id, email = Email(), username = "DUP" }))
        {
            await ResourceKit.AssertViolationAsync(sameUsername, "username", ViolationCodes.NotUnique);
        }

        using (var sameExternalId = await ResourceKit.PostAsync(admin, "/api/v1/users", new { tenantId = tenant.Id, email = Email(), externalId = "x-1" }))
        {
            await ResourceKit.AssertViolationAsync(sameExternalId, "externalId", ViolationCodes.NotUnique);
        }

        await CreatedAsync(other, new { email, username = "dup", externalId = "x-1" });
    }

    [Fact]
    public async Task Unknown_tenants_are_not_found()
    {
        using var response = await ResourceKit.PostAsync(await _kit.AdminAsync(), "/api/v1/users", new { tenantId = "aaaaaaaaaaaaaaaaaaaaaaaaaa", email = Email() });
        await ResourceKit.AssertErrorAsync(response, HttpStatusCode.NotFound, "tenant_not_found");
    }

    [Fact]
    public async Task Patch_changes_given_fields_clears_nulls_and_leaves_absent_ones()
    {
        var tenant = await factory.CreateTenantAsync();
        var user = await CreatedAsync(tenant, new { givenName = "Ann", familyName = "Lee", nickname = "annie", publicMetadata = new { a = 1 } });
        var path = $"/api/v1/users/{user.GetProperty("id").GetString()}";
        var admin = await _kit.AdminAsync();

        using var patched = await ResourceKit.PatchAsync(admin, path, new Dictionary<string, object?>
        {
            ["givenName"] = "  Anna ",
            ["nickname"] = null,
            ["publicMetadata"] = new { b = 2 },
            ["birthdate"] = "2000-01-31",
            ["username"] = "anna",
        });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var body = await ResourceKit.BodyAsync(patched);
        Assert.Equal("Anna", body.GetProperty("givenName").GetString());
        Assert.Equal("Lee", body.GetProperty("familyName").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("nickname").ValueKind);
        Assert.Equal(["b"], body.GetProperty("publicMetadata").EnumerateObject().Select(p => p.Name));
        Assert.Equal("2000-01-31", body.GetProperty("birthdate").GetString());
        Assert.Equal("anna", body.GetProperty("username").GetString());
        Assert.Equal(2, body.GetProperty("metadata").GetProperty("version").GetInt64());

        using var roundTrip = await ResourceKit.SendAsync(admin, HttpMethod.Patch, path, body.ToString(), ResourceKit.MergePatchJson);
        Assert.Equal(HttpStatusCode.OK, roundTrip.StatusCode);
        Assert.Equal(2, (await ResourceKit.BodyAsync(roundTrip)).GetProperty("metadata").GetProperty("version").GetInt64());
    }

    public static TheoryData<string, string, string> BadPatches => new()
    {
        { """{"email":null}""", "email", ViolationCodes.Required },
        { """{"email":"nope"}""", "email", ViolationCodes.InvalidFormat },
        { """{"status":"PENDING_SIGNUP_ACTIVATION"}""", "status", ViolationCodes.InvalidValue },
        { """{"tenantId":"other"}""", "tenantId", ViolationCodes.InvalidValue },
        { """{"hasPassword":true}""", "hasPassword", ViolationCodes.InvalidValue },
        { """{"password":"new password please"}""", "password", ViolationCodes.InvalidValue },
        { """{"identityProviderName":"okta"}""", "identityProviderName", ViolationCodes.InvalidValue },
        { """{"phoneNumber":"12"}""", "phoneNumber", ViolationCodes.InvalidFormat },
        { """{"emailVerified":null}""", "emailVerified", ViolationCodes.Required },
    };

    [Theory]
    [MemberData(nameof(BadPatches))]
    public async Task Each_invalid_patch_gets_its_violation_and_changes_nothing(string json, string field, string code)
    {
        var tenant = await factory.CreateTenantAsync();
        var path = $"/api/v1/users/{(await CreatedAsync(tenant)).GetProperty("id").GetString()}";
        using var response = await ResourceKit.SendAsync(await _kit.AdminAsync(), HttpMethod.Patch, path, json, ResourceKit.MergePatchJson);
        await ResourceKit.AssertViolationAsync(response, field, code);

        using var after = await ResourceKit.GetAsync(await _kit.AdminAsync(), path);
        Assert.Equal(1, (await ResourceKit.BodyAsync(after)).GetProperty("metadata").GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task A_patched_email_must_be_free_in_the_tenant_and_starts_unverified()
    {
        var tenant = await factory.CreateTenantAsync();
        var taken = (await CreatedAsync(tenant)).GetProperty("email").GetString()!;
        var user = await CreatedAsync(tenant, new { emailVerified = true });
        var path = $"/api/v1/users/{user.GetProperty("id").GetString()}";
        var admin = await _kit.AdminAsync();

        using (var clash = await ResourceKit.PatchAsync(admin, path, new { email = taken }))
        {
            await ResourceKit.AssertViolationAsync(clash, "email", ViolationCodes.NotUnique);
        }

        var fresh = Email();
        using var moved = await ResourceKit.PatchAsync(admin, path, new { email = fresh });
        var body = await ResourceKit.BodyAsync(moved);
        Assert.Equal(fresh, body.GetProperty("email").GetString());
        Assert.False(body.GetProperty("emailVerified").GetBoolean());
    }

    [Theory]
    [InlineData("email", "\"{email}\"", "user:manage-email")]
    [InlineData("emailVerified", "true", "user:manage-email")]
    [InlineData("externalId", "\"ext-9\"", "user:manage-external-id")]
    [InlineData("restrictedMetadata", """{"tier":3}""", "user:manage-restricted-metadata")]
    [InlineData("status", "\"INACTIVE\"", "user:manage-status")]
    public async Task Each_guarded_field_needs_its_own_permission(string field, string value, string permission)
    {
        var tenant = await factory.CreateTenantAsync();
        var user = await CreatedAsync(tenant);
        var path = $"/api/v1/users/{user.GetProperty("id").GetString()}";
        value = value.Replace("{email}", Email(), StringComparison.Ordinal);
        var writer = await _kit.ClientApiAsync("user:write");

        using var refused = await ResourceKit.SendAsync(writer, HttpMethod.Patch, path, $$"""{"{{field}}":{{value}}}""", ResourceKit.MergePatchJson);
        await ResourceKit.AssertNeedsPermissionAsync(refused, permission);

        using var unchanged = await ResourceKit.SendAsync(writer, HttpMethod.Patch, path, $$"""{"{{field}}":{{user.GetProperty(field).GetRawText()}}}""", ResourceKit.MergePatchJson);
        Assert.Equal(HttpStatusCode.OK, unchanged.StatusCode);

        var manager = await _kit.ClientApiAsync("user:write", permission);
        using var allowed = await ResourceKit.SendAsync(manager, HttpMethod.Patch, path, $$"""{"{{field}}":{{value}}}""", ResourceKit.MergePatchJson);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task Deactivating_a_user_ends_its_sessions_and_tokens()
    {
        var tenant = await factory.CreateTenantAsync();
        var (user, refreshToken, accessToken) = await LoggedInUserAsync(tenant);

        using (var deactivated = await ResourceKit.PatchAsync(await _kit.AdminAsync(), $"/api/v1/users/{user.Id}", new { status = "INACTIVE" }))
        {
            var body = await ResourceKit.BodyAsync(deactivated);
            Assert.Equal("INACTIVE", body.GetProperty("status").GetString());
            Assert.NotEqual(JsonValueKind.Null, body.GetProperty("metadata").GetProperty("deactivationTime").ValueKind);
        }

        await AssertSignedOutAsync(tenant, user, refreshToken, accessToken);
    }

    [Fact]
    public async Task Revoking_auth_sessions_ends_sessions_and_tokens_but_keeps_the_user()
    {
        var tenant = await factory.CreateTenantAsync();
        var (user, refreshToken, accessToken) = await LoggedInUserAsync(tenant);
        var revoker = await _kit.ClientApiAsync("auth-session:delete");

        using (var revoked = await ResourceKit.DeleteAsync(revoker, $"/api/v1/users/{user.Id}/auth-sessions"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }

        await AssertSignedOutAsync(tenant, user, refreshToken, accessToken);
        using var still = await ResourceKit.GetAsync(await _kit.AdminAsync(), $"/api/v1/users/{user.Id}");
        Assert.Equal("ACTIVE", (await ResourceKit.BodyAsync(still)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Deleting_a_user_removes_it_with_its_rows_and_tokens()
    {
        var tenant = await factory.CreateTenantAsync();
        var (user, refreshToken, accessToken) = await LoggedInUserAsync(tenant);
        var neighbour = await factory.CreateUserAsync(tenant, Email());

        using (var deleted = await ResourceKit.DeleteAsync(await _kit.AdminAsync(), $"/api/v1/users/{user.Id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using (var gone = await ResourceKit.GetAsync(await _kit.AdminAsync(), $"/api/v1/users/{user.Id}"))
        {
            await ResourceKit.AssertErrorAsync(gone, HttpStatusCode.NotFound, "user_not_found");
        }

        await AssertSignedOutAsync(tenant, user, refreshToken, accessToken);
        await using var scope = factory.ScopeFor(_kit.ApplicationId, tenant.Id);
        var db = LanyardFactory.Db(scope);
        Assert.False(await db.AuthSessions.AnyAsync(s => s.UserId == user.Id));
        Assert.False(await db.Grants.AnyAsync(g => g.UserId == user.Id));
        Assert.False(await db.UserRoles.AnyAsync(r => r.UserId == user.Id));
        Assert.True(await db.Users.AnyAsync(u => u.Id == neighbour.Id));
    }

    [Fact]
    public async Task A_self_bounded_user_reads_itself_and_nobody_else()
    {
        var tenant = await factory.CreateTenantAsync();
        var (self, api) = await _kit.UserApiAsync(tenant, "user:read");
        var neighbour = await factory.CreateUserAsync(tenant, Email());
        await SetSelfBoundaryAsync(self.Id);

        using (var own = await ResourceKit.GetAsync(api, $"/api/v1/users/{self.Id}"))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
            Assert.Equal(self.Email, (await ResourceKit.BodyAsync(own)).GetProperty("email").GetString());
        }

        using var other = await ResourceKit.GetAsync(api, $"/api/v1/users/{neighbour.Id}");
        await ResourceKit.AssertErrorAsync(other, HttpStatusCode.NotFound, "user_not_found");
        Assert.DoesNotContain(neighbour.Email, await other.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Unknown_ids_are_not_found()
    {
        var admin = await _kit.AdminAsync();
        const string path = "/api/v1/users/aaaaaaaaaaaaaaaaaaaaaaaaaa";
        using var get = await ResourceKit.GetAsync(admin, path);
        await ResourceKit.AssertErrorAsync(get, HttpStatusCode.NotFound, "user_not_found");
        using var patch = await ResourceKit.PatchAsync(admin, path, new { givenName = "x" });
        await ResourceKit.AssertErrorAsync(patch, HttpStatusCode.NotFound, "user_not_found");
        using var delete = await ResourceKit.DeleteAsync(admin, path);
        await ResourceKit.AssertErrorAsync(delete, HttpStatusCode.NotFound, "user_not_found");
        using var sessions = await ResourceKit.DeleteAsync(admin, path + "/auth-sessions");
        await ResourceKit.AssertErrorAsync(sessions, HttpStatusCode.NotFound, "user_not_found");
    }

    [Fact]
    public async Task Every_route_wants_a_token_and_its_permission()
    {
        var tenant = await factory.CreateTenantAsync();
        var path = $"/api/v1/users/{(await CreatedAsync(tenant)).GetProperty("id").GetString()}";
        var unrelated = await _kit.ClientApiAsync("tenant:read");
        foreach (var (api, status, code) in new[] { (_kit.Anonymous(), HttpStatusCode.Unauthorized, "invalid_token"), (unrelated, HttpStatusCode.Forbidden, "forbidden") })
        {
            using var create = await ResourceKit.PostAsync(api, "/api/v1/users", new { tenantId = tenant.Id, email = Email() });
            await ResourceKit.AssertErrorAsync(create, status, code);
            using var get = await ResourceKit.GetAsync(api, path);
            await ResourceKit.AssertErrorAsync(get, status, code);
            using var patch = await ResourceKit.PatchAsync(api, path, new { givenName = "x" });
            await ResourceKit.AssertErrorAsync(patch, status, code);
            using var delete = await ResourceKit.DeleteAsync(api, path);
            await ResourceKit.AssertErrorAsync(delete, status, code);
            using var sessions = await ResourceKit.DeleteAsync(api, path + "/auth-sessions");
            await ResourceKit.AssertErrorAsync(sessions, status, code);
        }

        // user:write is not enough to revoke sessions: that is auth-session:delete.
        var writer = await _kit.ClientApiAsync("user:write", "user:delete");
        using var revoke = await ResourceKit.DeleteAsync(writer, path + "/auth-sessions");
        await ResourceKit.AssertErrorAsync(revoke, HttpStatusCode.Forbidden, "forbidden");
    }

    /// <summary>An active user of <paramref name="tenant"/> with one role, logged in: its refresh and access tokens.</summary>
    private async Task<(User User, string RefreshToken, string AccessToken)> LoggedInUserAsync(Tenant tenant)
    {
        await factory.SetPolicyAsync(Lanyard.Server.Features.Policies.PolicyKind.Mfa, """{"enrollmentStrategy":"OPTIONAL"}""", tenant);
        var user = await factory.CreateUserAsync(tenant, Email());
        var roleId = (await _kit.Roles.RoleAsync()).GetProperty("id").GetString()!;
        await _kit.Roles.GrantAsync(roleId, await _kit.Roles.PermissionIdAsync("user:read"));
        using (var assigned = await _kit.Roles.AssignAsync(user.Id, [roleId]))
        {
            Assert.Equal(HttpStatusCode.NoContent, assigned.StatusCode);
        }

        var flow = new OAuthFlow(factory);
        var (tokens, _) = await flow.LoginAsync(flow.DemoClient, tenant.Name, user.Email, RoleKit.AllScopes);
        using (var works = await ResourceKit.GetAsync(_kit.Roles.Bearer(tokens.AccessToken), $"/api/v1/users/{user.Id}"))
        {
            Assert.Equal(HttpStatusCode.OK, works.StatusCode);
        }

        return (user, tokens.RefreshToken!, tokens.AccessToken);
    }

    private async Task AssertSignedOutAsync(Tenant tenant, User user, string refreshToken, string accessToken)
    {
        var flow = new OAuthFlow(factory);
        using (var refresh = await flow.RefreshAsync(flow.DemoClient, refreshToken))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
        }

        using (var api = await ResourceKit.GetAsync(_kit.Roles.Bearer(accessToken), $"/api/v1/users/{user.Id}"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        }

        await using var scope = factory.ScopeFor(_kit.ApplicationId, tenant.Id);
        Assert.False(await LanyardFactory.Db(scope).AuthSessions.AnyAsync(s => s.UserId == user.Id && s.RevokedAt == null));
    }

    private async Task SetSelfBoundaryAsync(string userId)
    {
        await using var scope = factory.ScopeFor(_kit.ApplicationId);
        var db = LanyardFactory.Db(scope);
        var self = await db.PermissionBoundaries.Where(b => b.Value == Lanyard.Server.Features.Roles.PredefinedBoundary.Self).Select(b => b.Id).SingleAsync();
        var roleIds = await db.UserRoles.IgnoreQueryFilters([Lanyard.Server.Persistence.QueryFilters.Tenant]).Where(r => r.UserId == userId).Select(r => r.RoleId).ToListAsync();
        await db.Roles.Where(r => roleIds.Contains(r.Id)).ExecuteUpdateAsync(u => u.SetProperty(r => r.PermissionBoundaryId, self));
    }
}

public sealed class UserApiOnSqlite(SqliteLanyard factory) : UserApiTests(factory), IClassFixture<SqliteLanyard>;

public sealed class UserApiOnPostgres(PostgresLanyard factory) : UserApiTests(factory), IClassFixture<PostgresLanyard>;
