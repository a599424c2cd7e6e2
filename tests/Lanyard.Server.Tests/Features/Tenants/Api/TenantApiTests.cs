using System.Net;
using System.Text.Json;
using Lanyard.Server.Common;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Tenants.Api;

/// <summary>
/// POST, GET, PATCH and DELETE /api/v1/tenants through HTTP on the real providers: shapes, merge-patch
/// semantics, every validation error, upsert, field permissions, and the refusals (401, 403, 404).
/// </summary>
public abstract class TenantApiTests(LanyardFactory factory)
{
    private readonly ResourceKit _kit = new(factory);

    private Dictionary<string, object?> NewTenant(string? name = null, object? extra = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["applicationId"] = _kit.ApplicationId,
            ["name"] = name ?? TestData.UniqueTenantName("n"),
            ["displayName"] = "Acme Corp",
        };
        foreach (var property in JsonSerializer.SerializeToElement(extra ?? new { }).EnumerateObject())
        {
            body[property.Name] = property.Value;
        }

        return body;
    }

    private async Task<JsonElement> CreatedAsync(object? extra = null, string? name = null)
    {
        using var response = await ResourceKit.PostAsync(await _kit.AdminAsync(), "/api/v1/tenants", NewTenant(name, extra));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await ResourceKit.BodyAsync(response);
    }

    [Fact]
    public async Task A_tenant_is_created_read_and_projected_in_wristbands_shape()
    {
        var name = TestData.UniqueTenantName("c");
        using var created = await ResourceKit.PostAsync(await _kit.AdminAsync(), "/api/v1/tenants", NewTenant(name, new
        {
            description = "  Our best customer ",
            logoUrl = "https://cdn.example.com/acme.png",
            signupEnabled = true,
            publicMetadata = new { plan = "gold", seats = 5 },
            restrictedMetadata = new { billingId = "b-1" },
        }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await ResourceKit.BodyAsync(created);
        var id = body.GetProperty("id").GetString()!;
        Assert.Equal($"/api/v1/tenants/{id}", created.Headers.Location!.OriginalString);
        Assert.Equal(
            ["id", "applicationId", "name", "displayName", "description", "logoUrl", "status", "type", "signupEnabled", "vanityDomain", "publicMetadata", "restrictedMetadata", "metadata"],
            body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(_kit.ApplicationId, body.GetProperty("applicationId").GetString());
        Assert.Equal(name, body.GetProperty("name").GetString());
        Assert.Equal("Our best customer", body.GetProperty("description").GetString());
        Assert.Equal("ACTIVE", body.GetProperty("status").GetString());
        Assert.Equal("STANDARD", body.GetProperty("type").GetString());
        Assert.True(body.GetProperty("signupEnabled").GetBoolean());
        Assert.StartsWith(LanyardFactory.TenantHost(name.ToLowerInvariant()), body.GetProperty("vanityDomain").GetString(), StringComparison.Ordinal);
        Assert.Equal(5, body.GetProperty("publicMetadata").GetProperty("seats").GetInt32());
        Assert.Equal("b-1", body.GetProperty("restrictedMetadata").GetProperty("billingId").GetString());
        Assert.Equal(1, body.GetProperty("metadata").GetProperty("version").GetInt64());

        using var read = await ResourceKit.GetAsync(await _kit.AdminAsync(), $"/api/v1/tenants/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(body.ToString(), (await ResourceKit.BodyAsync(read)).ToString());

        using var projected = await ResourceKit.GetAsync(await _kit.AdminAsync(), $"/api/v1/tenants/{id}?fields=displayName,metadata.version");
        Assert.Equal(["id", "displayName", "metadata"], (await ResourceKit.BodyAsync(projected)).EnumerateObject().Select(p => p.Name));
        Assert.Equal(["version"], (await ResourceKit.BodyAsync(projected)).GetProperty("metadata").EnumerateObject().Select(p => p.Name));

        using var twice = await ResourceKit.GetAsync(await _kit.AdminAsync(), $"/api/v1/tenants/{id}?fields=a&fields=b");
        await ResourceKit.AssertErrorAsync(twice, HttpStatusCode.BadRequest, "invalid_request");
    }

    public static TheoryData<string, string, string> BadCreateBodies => new()
    {
        { """{"name":"acme1","displayName":"A"}""", "applicationId", ViolationCodes.Required },
        { """{"applicationId":"nope","name":"acme2","displayName":"A"}""", "applicationId", ViolationCodes.NotFound },
        { """{"applicationId":"{app}","displayName":"A"}""", "name", ViolationCodes.Required },
        { """{"applicationId":"{app}","name":"ab","displayName":"A"}""", "name", ViolationCodes.TooShort },
        { """{"applicationId":"{app}","name":"abcdefghijklmnopqrstu","displayName":"A"}""", "name", ViolationCodes.TooLong },
        { """{"applicationId":"{app}","name":"-acme","displayName":"A"}""", "name", ViolationCodes.InvalidFormat },
        { """{"applicationId":"{app}","name":"admin","displayName":"A"}""", "name", ViolationCodes.InvalidValue },
        { """{"applicationId":"{app}","name":"acme3"}""", "displayName", ViolationCodes.Required },
        { """{"applicationId":"{app}","name":"acme4","displayName":null}""", "displayName", ViolationCodes.Required },
        { """{"applicationId":"{app}","name":"acme5","displayName":"   "}""", "displayName", ViolationCodes.Required },
        { """{"applicationId":"{app}","name":"acme6","displayName":"{long}"}""", "displayName", ViolationCodes.TooLong },
        { """{"applicationId":"{app}","name":"acme7","displayName":5}""", "displayName", ViolationCodes.InvalidFormat },
        { """{"applicationId":"{app}","name":"acme8","displayName":"A","logoUrl":"javascript:alert(1)"}""", "logoUrl", ViolationCodes.InvalidFormat },
        { """{"applicationId":"{app}","name":"acme9","displayName":"A","logoUrl":"http://cdn.example.com/a.png"}""", "logoUrl", ViolationCodes.InvalidFormat },
        { """{"applicationId":"{app}","name":"acme10","displayName":"A","signupEnabled":"yes"}""", "signupEnabled", ViolationCodes.InvalidFormat },
        { """{"applicationId":"{app}","name":"acme11","displayName":"A","publicMetadata":[1]}""", "publicMetadata", ViolationCodes.InvalidFormat },
        { """{"applicationId":"{app}","name":"acme12","displayName":"A","restrictedMetadata":"{}"}""", "restrictedMetadata", ViolationCodes.InvalidFormat },
        { """{"applicationId":"{app}","name":"acme13","displayName":"A","publicMetadata":{"x":"{huge}"}}""", "publicMetadata", ViolationCodes.TooLong },
        { """{"applicationId":"{app}","name":"acme14","displayName":"A","status":"INACTIVE"}""", "status", ViolationCodes.InvalidValue },
        { """{"applicationId":"{app}","name":"acme15","displayName":"A","dispalyName":"typo"}""", "dispalyName", ViolationCodes.InvalidValue },
    };

    [Theory]
    [MemberData(nameof(BadCreateBodies))]
    public async Task Each_invalid_create_body_gets_its_violation(string json, string field, string code)
    {
        json = json.Replace("{app}", _kit.ApplicationId, StringComparison.Ordinal)
            .Replace("{long}", new string('x', 201), StringComparison.Ordinal)
            .Replace("{huge}", new string('x', 16_001), StringComparison.Ordinal);
        using var response = await ResourceKit.SendAsync(await _kit.AdminAsync(), HttpMethod.Post, "/api/v1/tenants", json);
        await ResourceKit.AssertViolationAsync(response, field, code);
    }

    [Fact]
    public async Task Unknown_and_mistyped_fields_are_named_and_every_violation_comes_at_once()
    {
        using var response = await ResourceKit.SendAsync(await _kit.AdminAsync(), HttpMethod.Post, "/api/v1/tenants",
            """{"name":"ab","displayName":7,"colour":"red"}""");
        var unknown = await ResourceKit.AssertViolationAsync(response, "colour", ViolationCodes.InvalidValue);
        Assert.Equal("unknown_field", unknown.GetProperty("constraintAttributes").GetProperty("reason").GetString());
        var mistyped = await ResourceKit.AssertViolationAsync(response, "displayName", ViolationCodes.InvalidFormat);
        Assert.Equal("string", mistyped.GetProperty("constraintAttributes").GetProperty("type").GetString());
        await ResourceKit.AssertViolationAsync(response, "name", ViolationCodes.TooShort);
        await ResourceKit.AssertViolationAsync(response, "applicationId", ViolationCodes.Required);
    }

    [Fact]
    public async Task A_taken_name_is_not_unique_whatever_its_case()
    {
        var name = TestData.UniqueTenantName("u");
        await CreatedAsync(name: name);

        using var response = await ResourceKit.PostAsync(await _kit.AdminAsync(), "/api/v1/tenants", NewTenant(name.ToUpperInvariant()));
        await ResourceKit.AssertViolationAsync(response, "name", ViolationCodes.NotUnique);
    }

    [Theory]
    [InlineData("application/json", "not json", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("application/json", "[1,2]", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("application/json", "", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("application/json", """{"name":"a","name":"b"}""", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("text/plain", "{}", HttpStatusCode.UnsupportedMediaType, "unsupported_media_type")]
    public async Task A_body_that_is_not_one_json_object_is_refused(string contentType, string body, HttpStatusCode status, string code)
    {
        using var response = await ResourceKit.SendAsync(await _kit.AdminAsync(), HttpMethod.Post, "/api/v1/tenants", body, contentType);
        await ResourceKit.AssertErrorAsync(response, status, code);
    }

    [Fact]
    public async Task An_oversized_body_is_refused_before_it_is_parsed()
    {
        var json = $$"""{"applicationId":"x","name":"big","displayName":"{{new string('x', 70_000)}}"}""";
        using var response = await ResourceKit.SendAsync(await _kit.AdminAsync(), HttpMethod.Post, "/api/v1/tenants", json);
        await ResourceKit.AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "request_too_large");
    }

    [Fact]
    public async Task Upsert_creates_then_updates_the_tenant_of_that_name()
    {
        var name = TestData.UniqueTenantName("up");
        var admin = await _kit.AdminAsync();
        using var first = await ResourceKit.PostAsync(admin, "/api/v1/tenants?upsert=true", NewTenant(name, new { description = "first" }));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var id = (await ResourceKit.BodyAsync(first)).GetProperty("id").GetString();

        // An upsert that updates is a partial update: displayName may be left out, and only given fields change.
        using var second = await ResourceKit.PostAsync(admin, "/api/v1/tenants?upsert=true",
            new { applicationId = _kit.ApplicationId, name = name.ToUpperInvariant(), logoUrl = "https://cdn.example.com/l.png" });
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var updated = await ResourceKit.BodyAsync(second);
        Assert.Equal(id, updated.GetProperty("id").GetString());
        Assert.Equal(name, updated.GetProperty("name").GetString());
        Assert.Equal("first", updated.GetProperty("description").GetString());
        Assert.Equal("https://cdn.example.com/l.png", updated.GetProperty("logoUrl").GetString());
        Assert.Equal(2, updated.GetProperty("metadata").GetProperty("version").GetInt64());

        using var plain = await ResourceKit.PostAsync(admin, "/api/v1/tenants?upsert=false", NewTenant(name));
        await ResourceKit.AssertViolationAsync(plain, "name", ViolationCodes.NotUnique);

        using var garbled = await ResourceKit.PostAsync(admin, "/api/v1/tenants?upsert=maybe", NewTenant());
        await ResourceKit.AssertErrorAsync(garbled, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task An_upsert_that_updates_asks_for_the_field_permissions()
    {
        var name = TestData.UniqueTenantName("uf");
        await CreatedAsync(name: name);
        var api = await _kit.ClientApiAsync("tenant:create");

        using var refused = await ResourceKit.PostAsync(api, "/api/v1/tenants?upsert=true",
            new { applicationId = _kit.ApplicationId, name, signupEnabled = true });
        await ResourceKit.AssertNeedsPermissionAsync(refused, "tenant:manage-signup-enablement");

        using var allowed = await ResourceKit.PostAsync(api, "/api/v1/tenants?upsert=true",
            new { applicationId = _kit.ApplicationId, name, displayName = "Renamed" });
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task Patch_changes_given_fields_clears_nulls_and_leaves_absent_ones()
    {
        var tenant = await CreatedAsync(new
        {
            description = "keep me",
            logoUrl = "https://cdn.example.com/a.png",
            publicMetadata = new { plan = "gold" },
        });
        var path = $"/api/v1/tenants/{tenant.GetProperty("id").GetString()}";
        var admin = await _kit.AdminAsync();

        using var patched = await ResourceKit.PatchAsync(admin, path, new Dictionary<string, object?>
        {
            ["displayName"] = "New Name",
            ["logoUrl"] = null,
            ["publicMetadata"] = null,
            ["status"] = "INACTIVE",
        });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var body = await ResourceKit.BodyAsync(patched);
        Assert.Equal("New Name", body.GetProperty("displayName").GetString());
        Assert.Equal("keep me", body.GetProperty("description").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("logoUrl").ValueKind);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("publicMetadata").ValueKind);
        Assert.Equal("INACTIVE", body.GetProperty("status").GetString());
        Assert.Equal(2, body.GetProperty("metadata").GetProperty("version").GetInt64());

        using var reread = await ResourceKit.GetAsync(admin, path);
        Assert.Equal(body.ToString(), (await ResourceKit.BodyAsync(reread)).ToString());

        // Sending back what was read changes nothing (read-only fields included) and costs no version.
        using var roundTrip = await ResourceKit.SendAsync(admin, HttpMethod.Patch, path, body.ToString(), ResourceKit.MergePatchJson);
        Assert.Equal(HttpStatusCode.OK, roundTrip.StatusCode);
        Assert.Equal(2, (await ResourceKit.BodyAsync(roundTrip)).GetProperty("metadata").GetProperty("version").GetInt64());

        using var empty = await ResourceKit.PatchAsync(admin, path, new { });
        Assert.Equal(2, (await ResourceKit.BodyAsync(empty)).GetProperty("metadata").GetProperty("version").GetInt64());
    }

    public static TheoryData<string, string, string, string?> BadPatches => new()
    {
        { """{"name":"othername"}""", "name", ViolationCodes.InvalidValue, "immutable" },
        { """{"id":"x"}""", "id", ViolationCodes.InvalidValue, "read_only" },
        { """{"type":"GLOBAL"}""", "type", ViolationCodes.InvalidValue, "read_only" },
        { """{"metadata":{"version":99}}""", "metadata", ViolationCodes.InvalidValue, "read_only" },
        { """{"status":"DELETE_IN_PROGRESS"}""", "status", ViolationCodes.InvalidValue, null },
        { """{"status":"asleep"}""", "status", ViolationCodes.InvalidValue, null },
        { """{"status":null}""", "status", ViolationCodes.Required, null },
        { """{"displayName":null}""", "displayName", ViolationCodes.Required, null },
        { """{"signupEnabled":null}""", "signupEnabled", ViolationCodes.Required, null },
        { """{"description":{}}""", "description", ViolationCodes.InvalidFormat, null },
        { """{"logoUrl":"ftp://x.example/a.png"}""", "logoUrl", ViolationCodes.InvalidFormat, null },
        { """{"domainName":"x"}""", "domainName", ViolationCodes.InvalidValue, "unknown_field" },
    };

    [Theory]
    [MemberData(nameof(BadPatches))]
    public async Task Each_invalid_patch_gets_its_violation_and_changes_nothing(string json, string field, string code, string? reason)
    {
        var tenant = await CreatedAsync();
        var path = $"/api/v1/tenants/{tenant.GetProperty("id").GetString()}";
        using var response = await ResourceKit.SendAsync(await _kit.AdminAsync(), HttpMethod.Patch, path, json, ResourceKit.MergePatchJson);
        var violation = await ResourceKit.AssertViolationAsync(response, field, code);
        if (reason is not null)
        {
            Assert.Equal(reason, violation.GetProperty("constraintAttributes").GetProperty("reason").GetString());
        }

        using var after = await ResourceKit.GetAsync(await _kit.AdminAsync(), path);
        Assert.Equal(1, (await ResourceKit.BodyAsync(after)).GetProperty("metadata").GetProperty("version").GetInt64());
    }

    [Theory]
    [InlineData("status", "\"INACTIVE\"", "tenant:manage-status")]
    [InlineData("signupEnabled", "true", "tenant:manage-signup-enablement")]
    [InlineData("restrictedMetadata", """{"tier":1}""", "tenant:manage-restricted-metadata")]
    public async Task Each_guarded_field_needs_its_own_permission(string field, string value, string permission)
    {
        var tenant = await CreatedAsync();
        var path = $"/api/v1/tenants/{tenant.GetProperty("id").GetString()}";
        var writer = await _kit.ClientApiAsync("tenant:write");

        using var refused = await ResourceKit.SendAsync(writer, HttpMethod.Patch, path, $$"""{"{{field}}":{{value}}}""", ResourceKit.MergePatchJson);
        await ResourceKit.AssertNeedsPermissionAsync(refused, permission);

        // The same value as now is no change, so it needs nothing more.
        using var unchanged = await ResourceKit.SendAsync(writer, HttpMethod.Patch, path, $$"""{"{{field}}":{{tenant.GetProperty(field).GetRawText()}}}""", ResourceKit.MergePatchJson);
        Assert.Equal(HttpStatusCode.OK, unchanged.StatusCode);

        var manager = await _kit.ClientApiAsync("tenant:write", permission);
        using var allowed = await ResourceKit.SendAsync(manager, HttpMethod.Patch, path, $$"""{"{{field}}":{{value}}}""", ResourceKit.MergePatchJson);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(JsonDocument.Parse(value).RootElement.ToString(), (await ResourceKit.BodyAsync(allowed)).GetProperty(field).ToString());
    }

    [Fact]
    public async Task Parallel_patches_never_lose_an_update()
    {
        var tenant = await CreatedAsync();
        var path = $"/api/v1/tenants/{tenant.GetProperty("id").GetString()}";
        var admin = await _kit.AdminAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => ResourceKit.PatchAsync(admin, path, new { displayName = $"Writer {i}" })));
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }));
        var succeeded = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        foreach (var conflict in responses.Where(r => r.StatusCode == HttpStatusCode.Conflict))
        {
            await ResourceKit.AssertErrorAsync(conflict, HttpStatusCode.Conflict, "conflict");
        }

        // Every accepted write made its own version: none was overwritten by a writer that read the same version.
        using var final = await ResourceKit.GetAsync(admin, path);
        Assert.Equal(1 + succeeded, (await ResourceKit.BodyAsync(final)).GetProperty("metadata").GetProperty("version").GetInt64());
        Array.ForEach(responses, r => r.Dispose());
    }

    [Fact]
    public async Task Unknown_ids_are_not_found()
    {
        var admin = await _kit.AdminAsync();
        const string path = "/api/v1/tenants/aaaaaaaaaaaaaaaaaaaaaaaaaa";
        using var get = await ResourceKit.GetAsync(admin, path);
        await ResourceKit.AssertErrorAsync(get, HttpStatusCode.NotFound, "tenant_not_found");
        using var patch = await ResourceKit.PatchAsync(admin, path, new { displayName = "x" });
        await ResourceKit.AssertErrorAsync(patch, HttpStatusCode.NotFound, "tenant_not_found");
        using var delete = await ResourceKit.DeleteAsync(admin, path);
        await ResourceKit.AssertErrorAsync(delete, HttpStatusCode.NotFound, "tenant_not_found");
    }

    [Fact]
    public async Task Every_route_wants_a_token_and_its_permission()
    {
        var tenant = await CreatedAsync();
        var path = $"/api/v1/tenants/{tenant.GetProperty("id").GetString()}";
        var powerless = await _kit.ClientApiAsync("user:read");
        foreach (var (api, status, code) in new[] { (_kit.Anonymous(), HttpStatusCode.Unauthorized, "invalid_token"), (powerless, HttpStatusCode.Forbidden, "forbidden") })
        {
            using var create = await ResourceKit.PostAsync(api, "/api/v1/tenants", NewTenant());
            await ResourceKit.AssertErrorAsync(create, status, code);
            using var get = await ResourceKit.GetAsync(api, path);
            await ResourceKit.AssertErrorAsync(get, status, code);
            using var patch = await ResourceKit.PatchAsync(api, path, new { displayName = "x" });
            await ResourceKit.AssertErrorAsync(patch, status, code);
            using var delete = await ResourceKit.DeleteAsync(api, path);
            await ResourceKit.AssertErrorAsync(delete, status, code);
        }

        // Each permission opens its own route only.
        var reader = await _kit.ClientApiAsync("tenant:read");
        using (var read = await ResourceKit.GetAsync(reader, path))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        using var write = await ResourceKit.PatchAsync(reader, path, new { displayName = "x" });
        await ResourceKit.AssertErrorAsync(write, HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Only_a_grant_over_the_whole_application_creates_tenants()
    {
        var home = await factory.CreateTenantAsync();
        var (_, userApi) = await _kit.UserApiAsync(home, "tenant:create");
        using (var byUser = await ResourceKit.PostAsync(userApi, "/api/v1/tenants", NewTenant()))
        {
            await ResourceKit.AssertErrorAsync(byUser, HttpStatusCode.Forbidden, "forbidden");
        }

        var listed = await _kit.InclusionListClientAsync([home], "tenant:create");
        using var byListedClient = await ResourceKit.PostAsync(listed, "/api/v1/tenants", NewTenant());
        await ResourceKit.AssertErrorAsync(byListedClient, HttpStatusCode.Forbidden, "forbidden");
    }
}

public sealed class TenantApiOnSqlite(SqliteLanyard factory) : TenantApiTests(factory), IClassFixture<SqliteLanyard>;

public sealed class TenantApiOnPostgres(PostgresLanyard factory) : TenantApiTests(factory), IClassFixture<PostgresLanyard>;
