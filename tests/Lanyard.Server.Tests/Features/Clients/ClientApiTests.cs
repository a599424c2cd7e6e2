using System.Net;
using System.Text.Json;
using Lanyard.Server.Tests.Features.Roles;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Clients;

/// <summary>The OAuth2 client API: create (secret once), read, merge patch, rotate with a grace period, delete, list, and who may call it.</summary>
public abstract class ClientApiTests(LanyardFactory factory)
{
    private const string Callback = "https://localhost:7001/auth/callback";
    private readonly RbacKit _kit = new(factory);

    [Fact]
    public async Task A_confidential_client_gets_its_secret_once_and_it_is_stored_only_as_a_hash()
    {
        await factory.StartAsync();
        var created = await CreateAsync(new { type = "MACHINE_TO_MACHINE", name = " Billing worker ", ownerType = "APPLICATION", ownerId = _kit.ApplicationId });
        var id = RbacKit.Id(created);
        var secret = created.GetProperty("secret").GetString()!;
        Assert.Equal("Billing worker", created.GetProperty("name").GetString());
        Assert.Equal("MACHINE_TO_MACHINE", created.GetProperty("type").GetString());
        Assert.Equal(["CLIENT_CREDENTIALS"], Strings(created, "grantTypes"));
        Assert.Empty(Strings(created, "redirectUris"));
        Assert.True(created.GetProperty("confidential").GetBoolean());
        Assert.Equal(_kit.ApplicationId, created.GetProperty("ownerId").GetString());
        Assert.Equal(1, created.GetProperty("metadata").GetProperty("version").GetInt64());
        Assert.True(secret.Length >= 43);

        // The secret works at the token endpoint, is never shown again, and the table holds only a keyed hash of it.
        using (var token = await _kit.Flow.TokenRequestAsync(new TestClient(id, secret, ""), new Dictionary<string, string> { ["grant_type"] = "client_credentials" }))
        {
            Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        }

        var read = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/clients/{id}");
        Assert.False(read.TryGetProperty("secret", out _));
        Assert.DoesNotContain(secret, read.GetRawText(), StringComparison.Ordinal);
        await using var scope = factory.ScopeFor(_kit.ApplicationId);
        var stored = await LanyardFactory.Db(scope).Clients.SingleAsync(c => c.Id == id);
        Assert.StartsWith("hmac-sha256$", stored.SecretHash, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, stored.SecretHash!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clients_that_sign_users_in_take_redirect_uris_and_public_ones_have_no_secret()
    {
        await factory.StartAsync();
        var spa = await CreateAsync(new { type = "SPA", name = "Web app", redirectUris = new[] { Callback, Callback, "https://{tenant_name}.app.example.com/cb" } });
        Assert.Equal(JsonValueKind.Null, spa.GetProperty("secret").ValueKind);
        Assert.False(spa.GetProperty("confidential").GetBoolean());
        Assert.Equal([Callback, "https://{tenant_name}.app.example.com/cb"], Strings(spa, "redirectUris")); // duplicates dropped
        Assert.Equal(["AUTHORIZATION_CODE", "REFRESH_TOKEN"], Strings(spa, "grantTypes"));

        var backend = await CreateAsync(new
        {
            type = "BACKEND_SERVER", name = "Backend", redirectUris = new[] { Callback }, loginUrl = "https://localhost:7001/auth/login",
            grantTypes = new[] { "AUTHORIZATION_CODE" }, refreshTokenRotation = true,
        });
        Assert.Equal(["AUTHORIZATION_CODE"], Strings(backend, "grantTypes"));
        Assert.True(backend.GetProperty("refreshTokenRotation").GetBoolean());

        // A client made by the API can sign a user in at once.
        var tenant = await factory.CreateTenantAsync();
        var user = await _kit.Roles.UserAsync(tenant);
        var client = new TestClient(RbacKit.Id(backend), backend.GetProperty("secret").GetString(), Callback);
        var (tokens, _) = await _kit.Flow.LoginAsync(client, tenant.Name, user.Email);
        Assert.Equal(client.Id, RoleKit.Payload(tokens.AccessToken).GetProperty("client_id").GetString());
    }

    [Fact]
    public async Task Create_input_is_validated_field_by_field()
    {
        await factory.StartAsync();
        Task<string[]> Violations(object body, string field) => _kit.ViolationsAsync(HttpMethod.Post, "/api/v1/clients", body, field);

        Assert.Equal(["required"], await Violations(new { name = "x", redirectUris = new[] { Callback } }, "type"));
        Assert.Equal(["invalid_value"], await Violations(new { type = "WEB", name = "x" }, "type"));
        Assert.Equal(["required"], await Violations(new { type = "SPA", redirectUris = new[] { Callback } }, "name"));
        Assert.Equal(["too_long"], await Violations(new { type = "SPA", name = new string('n', 101), redirectUris = new[] { Callback } }, "name"));
        Assert.Equal(["invalid_value"], await Violations(new { type = "SPA", name = 5, redirectUris = new[] { Callback } }, "name"));
        Assert.Equal(["required"], await Violations(new { type = "NATIVE", name = "x" }, "redirectUris"));
        Assert.Equal(["invalid_value"], await Violations(new { type = "NATIVE", name = "x", redirectUris = Callback }, "redirectUris"));
        Assert.Equal(["invalid_value"], await Violations(new { type = "MACHINE_TO_MACHINE", name = "x", redirectUris = new[] { Callback } }, "redirectUris"));
        Assert.Equal(["too_long"], await Violations(new { type = "SPA", name = "x", redirectUris = Enumerable.Range(0, 21).Select(i => $"{Callback}{i}").ToArray() }, "redirectUris"));
        Assert.Equal(["invalid_value"], await Violations(new { type = "MACHINE_TO_MACHINE", name = "x", loginUrl = "https://localhost/login" }, "loginUrl"));
        Assert.Equal(["invalid_format"], await Violations(new { type = "SPA", name = "x", redirectUris = new[] { Callback }, loginUrl = "http://example.com/login" }, "loginUrl"));
        Assert.Equal(["invalid_value"], await Violations(new { type = "SPA", name = "x", redirectUris = new[] { Callback }, grantTypes = new[] { "CLIENT_CREDENTIALS" } }, "grantTypes"));
        Assert.Equal(["invalid_value"], await Violations(new { type = "SPA", name = "x", redirectUris = new[] { Callback }, grantTypes = new[] { "REFRESH_TOKEN" } }, "grantTypes"));
        Assert.Equal(["invalid_value"], await Violations(new { type = "SPA", name = "x", redirectUris = new[] { Callback }, grantTypes = new[] { "PASSWORD" } }, "grantTypes"));
        Assert.Equal(["required"], await Violations(new { type = "SPA", name = "x", redirectUris = new[] { Callback }, grantTypes = Array.Empty<string>() }, "grantTypes"));
        Assert.Equal(["invalid_value"], await Violations(new { type = "MACHINE_TO_MACHINE", name = "x", grantTypes = new[] { "AUTHORIZATION_CODE" } }, "grantTypes"));
        Assert.Equal(["invalid_value"], await Violations(new { type = "MACHINE_TO_MACHINE", name = "x", refreshTokenRotation = true }, "refreshTokenRotation"));
        Assert.Equal(["invalid_value"], await Violations(new { type = "SPA", name = "x", redirectUris = new[] { Callback }, refreshTokenRotation = "yes" }, "refreshTokenRotation"));
        Assert.Equal(["invalid_value"], await Violations(new { type = "MACHINE_TO_MACHINE", name = "x", ownerType = "TENANT" }, "ownerType"));
        Assert.Equal(["invalid_value"], await Violations(new { type = "MACHINE_TO_MACHINE", name = "x", ownerId = "someotherapp" }, "ownerId"));

        // Each bad redirect URI is named by its index; every violation comes back in one answer.
        using var response = await _kit.SendAsync(HttpMethod.Post, "/api/v1/clients",
            new { type = "SPA", redirectUris = new[] { Callback, "http://evil.example/cb", "https://a.example/cb#frag" } });
        var body = await RoleKit.BodyAsync(response);
        Assert.Equal("constraint_violations_error", body.GetProperty("type").GetString());
        var uris = body.GetProperty("violations").GetProperty("redirectUris").EnumerateArray().ToList();
        Assert.Equal([1, 2], uris.Select(v => v.GetProperty("constraintAttributes").GetProperty("index").GetInt32()));
        Assert.Equal(["invalid_format", "invalid_format"], uris.Select(v => v.GetProperty("code").GetString()));
        Assert.True(body.GetProperty("violations").TryGetProperty("name", out _));
    }

    [Fact]
    public async Task A_merge_patch_changes_only_what_it_names_and_the_type_stays()
    {
        await factory.StartAsync();
        var client = await CreateAsync(new { type = "BACKEND_SERVER", name = "Before", redirectUris = new[] { Callback }, loginUrl = "https://localhost:7001/login", refreshTokenRotation = true });
        var path = $"/api/v1/clients/{RbacKit.Id(client)}";

        using (var patched = await _kit.SendAsync(HttpMethod.Patch, path, new { name = "After", loginUrl = (string?)null }, contentType: "application/merge-patch+json"))
        {
            Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
            var body = await RoleKit.BodyAsync(patched);
            Assert.Equal("After", body.GetProperty("name").GetString());
            Assert.Equal(JsonValueKind.Null, body.GetProperty("loginUrl").ValueKind);
            Assert.Equal([Callback], Strings(body, "redirectUris"));
            Assert.True(body.GetProperty("refreshTokenRotation").GetBoolean());
            Assert.Equal(2, body.GetProperty("metadata").GetProperty("version").GetInt64());
        }

        var second = "https://localhost:7001/second";
        var changed = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, path, new { redirectUris = new[] { second }, refreshTokenRotation = (bool?)null, type = "BACKEND_SERVER" });
        Assert.Equal([second], Strings(changed, "redirectUris"));
        Assert.Equal(JsonValueKind.Null, changed.GetProperty("refreshTokenRotation").ValueKind);

        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Patch, path, new { type = "SPA" }, "type"));
        Assert.Equal(["required"], await _kit.ViolationsAsync(HttpMethod.Patch, path, new { name = (string?)null }, "name"));
        Assert.Equal(["required"], await _kit.ViolationsAsync(HttpMethod.Patch, path, new { redirectUris = Array.Empty<string>() }, "redirectUris"));
        Assert.Equal(["invalid_format"], await _kit.ViolationsAsync(HttpMethod.Patch, path, new { redirectUris = new[] { "ftp://x.example/" } }, "redirectUris"));
        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Patch, path, new { grantTypes = new[] { "CLIENT_CREDENTIALS" } }, "grantTypes"));
        Assert.Equal("After", (await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, path)).GetProperty("name").GetString()); // refused patches wrote nothing

        Assert.Equal((HttpStatusCode.NotFound, "client_not_found"), await _kit.ErrorAsync(HttpMethod.Patch, "/api/v1/clients/nosuchclient", new { name = "x" }));
        Assert.Equal((HttpStatusCode.NotFound, "client_not_found"), await _kit.ErrorAsync(HttpMethod.Get, "/api/v1/clients/nosuchclient"));
    }

    [Fact]
    public async Task A_rotated_secret_replaces_the_old_one_after_the_grace_period()
    {
        await factory.StartAsync();
        var created = await CreateAsync(new { type = "MACHINE_TO_MACHINE", name = "Rotating" });
        var id = RbacKit.Id(created);
        var first = created.GetProperty("secret").GetString()!;

        var rotated = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/api/v1/clients/{id}/rotate-secret");
        var second = rotated.GetProperty("secret").GetString()!;
        Assert.NotEqual(first, second);
        // The default grace period: 24 hours, stated in the answer.
        Assert.Equal(factory.Time.GetUtcNow().AddDays(1), rotated.GetProperty("previousSecretExpiresAt").GetDateTimeOffset());
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(id, first));
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(id, second));

        factory.Time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, await TokenStatusAsync(id, first));
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(id, second));
        var admin = await factory.AdminApiAsync(); // the first admin token expired with the day that passed
        var read = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/clients/{id}", api: admin);
        Assert.Equal(JsonValueKind.Null, read.GetProperty("previousSecretExpiresAt").ValueKind);

        // A grace period of zero ends the old secret at once (a leaked secret); a bad one is refused.
        var third = (await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/api/v1/clients/{id}/rotate-secret", new { gracePeriodSeconds = 0 }, admin))
            .GetProperty("secret").GetString()!;
        Assert.Equal(HttpStatusCode.Unauthorized, await TokenStatusAsync(id, second));
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(id, third));
        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Post, $"/api/v1/clients/{id}/rotate-secret", new { gracePeriodSeconds = -1 }, "gracePeriodSeconds", admin));
        Assert.Equal(["invalid_value"], await _kit.ViolationsAsync(HttpMethod.Post, $"/api/v1/clients/{id}/rotate-secret", new { gracePeriodSeconds = 31 * 86400 }, "gracePeriodSeconds", admin));
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(id, third)); // refused rotations changed nothing

        var spa = await CreateAsync(new { type = "SPA", name = "Public", redirectUris = new[] { Callback } }, admin);
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_client_type"), await _kit.ErrorAsync(HttpMethod.Post, $"/api/v1/clients/{RbacKit.Id(spa)}/rotate-secret", api: admin));
        Assert.Equal((HttpStatusCode.NotFound, "client_not_found"), await _kit.ErrorAsync(HttpMethod.Post, "/api/v1/clients/nosuchclient/rotate-secret", api: admin));
    }

    [Fact]
    public async Task Deleting_a_client_revokes_what_it_was_granted_and_no_client_deletes_itself()
    {
        await factory.StartAsync();
        var created = await CreateAsync(new { type = "BACKEND_SERVER", name = "Doomed", redirectUris = new[] { Callback } });
        var client = new TestClient(RbacKit.Id(created), created.GetProperty("secret").GetString(), Callback);
        var tenant = await factory.CreateTenantAsync();
        var user = await _kit.Roles.UserAsync(tenant);
        var (tokens, _) = await _kit.Flow.LoginAsync(client, tenant.Name, user.Email, "openid offline_access email");
        using (var info = await _kit.Flow.UserinfoAsync(tokens.AccessToken))
        {
            Assert.Equal(HttpStatusCode.OK, info.StatusCode);
        }

        await _kit.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/api/v1/clients/{client.Id}");
        Assert.Equal((HttpStatusCode.NotFound, "client_not_found"), await _kit.ErrorAsync(HttpMethod.Get, $"/api/v1/clients/{client.Id}"));
        using (var info = await _kit.Flow.UserinfoAsync(tokens.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, info.StatusCode); // the grant is revoked: its access tokens die with it
        }

        using (var refresh = await _kit.Flow.RefreshAsync(client, tokens.RefreshToken!))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
        }

        await using (var scope = factory.ScopeFor(_kit.ApplicationId))
        {
            var db = LanyardFactory.Db(scope);
            Assert.False(await db.RefreshTokens.AnyAsync(t => t.ClientId == client.Id));
            Assert.All(await db.Grants.Where(g => g.ClientId == client.Id).ToListAsync(), g => Assert.Equal("client_deleted", g.RevokedReason));
        }

        Assert.Equal((HttpStatusCode.NotFound, "client_not_found"), await _kit.ErrorAsync(HttpMethod.Delete, $"/api/v1/clients/{client.Id}"));

        // The admin client cannot delete itself, nor can another client delete the last holder of the admin role.
        Assert.Equal((HttpStatusCode.BadRequest, "client_is_caller"), await _kit.ErrorAsync(HttpMethod.Delete, $"/api/v1/clients/{factory.Bootstrap.AdminClientId}"));
        var deleter = await _kit.ClientApiAsync(null, "client:delete");
        Assert.Equal((HttpStatusCode.BadRequest, "last_admin_client"), await _kit.ErrorAsync(HttpMethod.Delete, $"/api/v1/clients/{factory.Bootstrap.AdminClientId}", api: deleter));
        Assert.Equal(HttpStatusCode.OK, (await _kit.ErrorAsync(HttpMethod.Get, $"/api/v1/clients/{factory.Bootstrap.AdminClientId}")).Status);
    }

    [Fact]
    public async Task Clients_are_listed_with_query_sort_paging_and_fields()
    {
        await factory.StartAsync();
        var prefix = $"list-{Guid.NewGuid():N}"[..16];
        foreach (var suffix in new[] { "b", "a", "c" })
        {
            await CreateAsync(new { type = "MACHINE_TO_MACHINE", name = $"{prefix}-{suffix}" });
        }

        var list = $"/api/v1/applications/{_kit.ApplicationId}/clients";
        var page = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get,
            $"{list}?query={Uri.EscapeDataString($"name sw \"{prefix}\" and type eq \"MACHINE_TO_MACHINE\"")}&sort_by=name:desc&count=2&fields=name");
        Assert.Equal(3, page.GetProperty("totalResults").GetInt32());
        Assert.Equal(2, page.GetProperty("itemsPerPage").GetInt32());
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([$"{prefix}-c", $"{prefix}-b"], items.Select(i => i.GetProperty("name").GetString()));
        Assert.All(items, i => Assert.Equal(["id", "name"], i.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)));
        var next = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"{list}?query={Uri.EscapeDataString($"name sw \"{prefix}\"")}&sort_by=name:desc&start_index=3");
        Assert.Equal($"{prefix}-a", next.GetProperty("items")[0].GetProperty("name").GetString());
        Assert.False(next.GetProperty("items")[0].TryGetProperty("secret", out _));

        Assert.Equal((HttpStatusCode.BadRequest, "invalid_query"), await _kit.ErrorAsync(HttpMethod.Get, $"{list}?query=secretHash eq \"x\""));
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_sort"), await _kit.ErrorAsync(HttpMethod.Get, $"{list}?sort_by=type"));
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_request"), await _kit.ErrorAsync(HttpMethod.Get, $"{list}?count=5000"));
        Assert.Equal((HttpStatusCode.NotFound, "application_not_found"), await _kit.ErrorAsync(HttpMethod.Get, "/api/v1/applications/otherapp/clients"));
    }

    [Fact]
    public async Task Only_a_caller_reaching_the_whole_application_manages_clients()
    {
        var inside = await factory.CreateTenantAsync();
        var existing = RbacKit.Id(await CreateAsync(new { type = "MACHINE_TO_MACHINE", name = "Target" }));
        var anonymous = _kit.Roles.Bearer(null);
        var forged = _kit.Roles.Bearer("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
        var powerless = await _kit.ClientApiAsync(null);
        var listed = await _kit.BoundaryAsync("TENANT_INCLUSION_LIST", inside.Id);
        var bounded = await _kit.ClientApiAsync(RbacKit.Id(listed), "client:create", "client:read", "client:write", "client:delete");
        var (_, user, _) = await _kit.Roles.UserApiAsync(inside, "client:create", "client:read", "client:write", "client:delete");

        (HttpMethod Method, string Path, object? Body)[] routes =
        [
            (HttpMethod.Post, "/api/v1/clients", new { type = "MACHINE_TO_MACHINE", name = "x" }),
            (HttpMethod.Get, $"/api/v1/clients/{existing}", null),
            (HttpMethod.Patch, $"/api/v1/clients/{existing}", new { name = "hijacked" }),
            (HttpMethod.Post, $"/api/v1/clients/{existing}/rotate-secret", null),
            (HttpMethod.Delete, $"/api/v1/clients/{existing}", null),
            (HttpMethod.Get, $"/api/v1/applications/{_kit.ApplicationId}/clients", null),
        ];
        foreach (var (method, path, body) in routes)
        {
            Assert.Equal((HttpStatusCode.Unauthorized, "invalid_token"), await _kit.ErrorAsync(method, path, body, anonymous));
            Assert.Equal((HttpStatusCode.Unauthorized, "invalid_token"), await _kit.ErrorAsync(method, path, body, forged));
            Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(method, path, body, powerless));
            // A grant bounded to some tenants, or a user's (its own tenant at most), is not the application's.
            Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(method, path, body, bounded));
            Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), await _kit.ErrorAsync(method, path, body, user));
        }

        var target = await _kit.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/v1/clients/{existing}");
        Assert.Equal("Target", target.GetProperty("name").GetString());
        Assert.Equal(1, target.GetProperty("metadata").GetProperty("version").GetInt64());
    }

    private async Task<JsonElement> CreateAsync(object body, HttpClient? api = null)
    {
        using var response = await _kit.SendAsync(HttpMethod.Post, "/api/v1/clients", body, api);
        var json = await RoleKit.BodyAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, json.GetRawText());
        Assert.Equal($"/api/v1/clients/{RbacKit.Id(json)}", response.Headers.Location!.OriginalString);
        Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
        return json;
    }

    private async Task<HttpStatusCode> TokenStatusAsync(string clientId, string secret)
    {
        using var response = await _kit.Flow.TokenRequestAsync(new TestClient(clientId, secret, ""), new Dictionary<string, string> { ["grant_type"] = "client_credentials" });
        return response.StatusCode;
    }

    private static string[] Strings(JsonElement item, string property) => [.. item.GetProperty(property).EnumerateArray().Select(e => e.GetString()!)];
}

public sealed class ClientApiOnSqlite(SqliteLanyard factory) : ClientApiTests(factory), IClassFixture<SqliteLanyard>;

public sealed class ClientApiOnPostgres(PostgresLanyard factory) : ClientApiTests(factory), IClassFixture<PostgresLanyard>;
