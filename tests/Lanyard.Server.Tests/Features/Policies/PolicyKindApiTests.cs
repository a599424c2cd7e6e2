using System.Net;
using System.Text.Json;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Tests.Features.Roles;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Policies;

/// <summary>
/// Every policy kind's management API, driven from one table (<see cref="PolicyKindCases"/>): create, upsert,
/// read, each validation error with its shape, resolve-overrides (built-in default → application default →
/// tenant override on → toggled off again), permissions and tenant boundaries.
/// </summary>
public abstract class PolicyKindApiTests(LanyardFactory factory) : IAsyncLifetime
{
    private readonly PolicyApiKit _kit = new(factory);

    public async ValueTask InitializeAsync()
    {
        factory.RequireDatabase();
        await factory.StartAsync();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Theory]
    [MemberData(nameof(PolicyKindCases.All), MemberType = typeof(PolicyKindCases))]
    public async Task A_tenant_policy_is_created_updated_read_and_checked(string name)
    {
        var kind = await PolicyKindCases.GetAsync(name, factory);
        var tenant = await factory.CreateTenantAsync();
        var path = $"/api/v1/{kind.Collection}";

        using var created = await _kit.PostAsync(path, kind.Body("TENANT", tenant.Id, kind.Create));
        var policy = await PolicyApiKit.BodyAsync(created);
        Assert.True(created.StatusCode == HttpStatusCode.Created, policy.ToString());
        var id = policy.GetProperty("id").GetString()!;
        Assert.Equal(26, id.Length);
        Assert.Equal($"{path}/{id}", created.Headers.Location!.OriginalString);
        Assert.Equal("TENANT", policy.GetProperty("ownerType").GetString());
        Assert.Equal(tenant.Id, policy.GetProperty("ownerId").GetString());
        Assert.Equal(1, policy.GetProperty("metadata").GetProperty("version").GetInt64());
        Assert.False(policy.TryGetProperty("isDefault", out _));
        Assert.True(policy.TryGetProperty(kind.Field, out _), $"{name} shows no {kind.Field}");
        if (kind.EmailType is not null)
        {
            Assert.Equal(kind.EmailType, policy.GetProperty("emailType").GetString());
        }

        foreach (var (field, value) in kind.Create)
        {
            Assert.Equal(Json(value).ToLowerInvariant(), policy.GetProperty(field).GetRawText().ToLowerInvariant());
        }

        // Without ?upsert=true an existing row is not overwritten.
        using var again = await _kit.PostAsync(path, kind.Body("TENANT", tenant.Id, kind.Create));
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("not_unique", await PolicyApiKit.ViolationsAsync(again, "ownerId"));

        var updated = await _kit.PostOkAsync($"{path}?upsert=true", kind.Body("TENANT", tenant.Id, Single(kind.Field, kind.Second)), HttpStatusCode.OK);
        Assert.Equal(id, updated.GetProperty("id").GetString());
        Assert.Equal(2, updated.GetProperty("metadata").GetProperty("version").GetInt64());
        Assert.Equal(Json(kind.Second), updated.GetProperty(kind.Field).GetRawText());
        foreach (var (field, value) in kind.Create.Where(f => f.Key != kind.Field))
        {
            // A partial update keeps every field it does not name.
            Assert.Equal(Json(value).ToLowerInvariant(), updated.GetProperty(field).GetRawText().ToLowerInvariant());
        }

        foreach (var invalid in kind.Invalid)
        {
            using var refused = await _kit.PostAsync($"{path}?upsert=true", kind.Body("TENANT", tenant.Id, invalid.Settings));
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{name}: {JsonSerializer.Serialize(invalid.Settings)} was accepted");
            var body = await PolicyApiKit.BodyAsync(refused);
            Assert.Equal("message_body_constraint_violations", body.GetProperty("code").GetString());
            Assert.False(string.IsNullOrEmpty(body.GetProperty("ticket").GetString()));
            Assert.Contains(invalid.Code, await PolicyApiKit.ViolationsAsync(refused, invalid.Field));
        }

        // Nothing refused was stored.
        using var read = await _kit.GetAsync($"{path}/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var stored = await PolicyApiKit.BodyAsync(read);
        Assert.Equal(2, stored.GetProperty("metadata").GetProperty("version").GetInt64());
        Assert.Equal(Json(kind.Second), stored.GetProperty(kind.Field).GetRawText());
        Assert.Equal(tenant.Id, stored.GetProperty("ownerId").GetString());

        // An id is found only under its own kind.
        var other = kind.Collection == "password-policies" ? "user-schemas" : "password-policies";
        using var wrongKind = await _kit.GetAsync($"/api/v1/{other}/{id}");
        Assert.Equal(HttpStatusCode.NotFound, wrongKind.StatusCode);
        Assert.Equal("policy_not_found", await PolicyApiKit.ErrorCodeAsync(wrongKind));
        using var unknown = await _kit.GetAsync($"{path}/aaaaaaaaaaaaaaaaaaaaaaaaaa");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        if (kind.RequiredOnCreate is { } required)
        {
            var fresh = await factory.CreateTenantAsync();
            using var missing = await _kit.PostAsync($"{path}?upsert=true", kind.Body("TENANT", fresh.Id, new { }));
            Assert.Contains("required", await PolicyApiKit.ViolationsAsync(missing, required));
        }

        if (kind.EmailType is not null)
        {
            using var noType = await _kit.PostAsync($"{path}?upsert=true", PolicyApiKit.Body("TENANT", tenant.Id, kind.Create));
            Assert.Contains("required", await PolicyApiKit.ViolationsAsync(noType, "emailType"));
        }
    }

    [Theory]
    [MemberData(nameof(PolicyKindCases.All), MemberType = typeof(PolicyKindCases))]
    public async Task Resolve_overrides_says_what_applies_and_where_it_came_from(string name)
    {
        var kind = await PolicyKindCases.GetAsync(name, factory);
        await _kit.ResetApplicationPolicyAsync(kind.Kind);
        var tenant = await factory.CreateTenantAsync();
        try
        {
            var builtIn = await ResolvedAsync(kind, tenant);
            Assert.True(builtIn.GetProperty("isDefault").GetBoolean());
            Assert.False(builtIn.TryGetProperty("id", out _));
            Assert.False(builtIn.TryGetProperty("metadata", out _));
            Assert.Equal("APPLICATION", builtIn.GetProperty("ownerType").GetString());
            Assert.Equal(_kit.ApplicationId, builtIn.GetProperty("ownerId").GetString());
            Assert.True(builtIn.TryGetProperty(kind.Field, out _));

            var application = await _kit.PostOkAsync($"/api/v1/{kind.Collection}?upsert=true",
                kind.Body("APPLICATION", _kit.ApplicationId, Merge(kind.Create, kind.Field, kind.First)), HttpStatusCode.Created);
            var applicationId = application.GetProperty("id").GetString();
            Assert.Equal("APPLICATION", application.GetProperty("ownerType").GetString());

            var inherited = await ResolvedAsync(kind, tenant);
            Assert.False(inherited.GetProperty("isDefault").GetBoolean());
            Assert.Equal(applicationId, inherited.GetProperty("id").GetString());
            Assert.Equal("APPLICATION", inherited.GetProperty("ownerType").GetString());
            Assert.Equal(Json(kind.First), inherited.GetProperty(kind.Field).GetRawText());

            // The tenant's copy alone changes nothing; its toggle switches it on and off.
            var copy = await _kit.PostOkAsync($"/api/v1/{kind.Collection}",
                kind.Body("TENANT", tenant.Id, Merge(kind.Create, kind.Field, kind.Second)), HttpStatusCode.Created);
            var copyId = copy.GetProperty("id").GetString();
            Assert.Equal(applicationId, (await ResolvedAsync(kind, tenant)).GetProperty("id").GetString());

            using (var on = await _kit.ToggleAsync(tenant, "ENABLED", kind.Resource))
            {
                Assert.Equal(HttpStatusCode.Created, on.StatusCode);
                var toggle = await PolicyApiKit.BodyAsync(on);
                Assert.Equal("ENABLED", toggle.GetProperty("status").GetString());
                Assert.Equal("TENANT", toggle.GetProperty("ownerType").GetString());
                Assert.Equal(tenant.Id, toggle.GetProperty("ownerId").GetString());
            }

            var overridden = await ResolvedAsync(kind, tenant);
            Assert.False(overridden.GetProperty("isDefault").GetBoolean());
            Assert.Equal(copyId, overridden.GetProperty("id").GetString());
            Assert.Equal("TENANT", overridden.GetProperty("ownerType").GetString());
            Assert.Equal(tenant.Id, overridden.GetProperty("ownerId").GetString());
            Assert.Equal(Json(kind.Second), overridden.GetProperty(kind.Field).GetRawText());

            // The toggle is per kind: another kind of the same tenant still resolves to the application's.
            using (var off = await _kit.ToggleAsync(tenant, "DISABLED", kind.Resource))
            {
                Assert.Equal(HttpStatusCode.OK, off.StatusCode);
                Assert.Equal("DISABLED", (await PolicyApiKit.BodyAsync(off)).GetProperty("status").GetString());
            }

            var back = await ResolvedAsync(kind, tenant);
            Assert.Equal(applicationId, back.GetProperty("id").GetString());
            Assert.Equal("APPLICATION", back.GetProperty("ownerType").GetString());
            Assert.Equal(Json(kind.First), back.GetProperty(kind.Field).GetRawText());
        }
        finally
        {
            // Application rows apply to every tenant of this fixture: the other tests start from the defaults.
            await _kit.ResetApplicationPolicyAsync(kind.Kind);
        }
    }

    [Theory]
    [MemberData(nameof(PolicyKindCases.All), MemberType = typeof(PolicyKindCases))]
    public async Task Without_a_token_every_endpoint_answers_401_and_without_the_permission_403(string name)
    {
        var kind = await PolicyKindCases.GetAsync(name, factory);
        var tenant = await factory.CreateTenantAsync();
        using var anonymous = factory.ClientFor(LanyardFactory.ApplicationHost);
        using var powerless = await _kit.PowerlessApiAsync();
        var body = kind.Body("TENANT", tenant.Id, Merge(kind.Create, "status", "ENABLED"));
        foreach (var (api, expected) in new[] { (anonymous, HttpStatusCode.Unauthorized), (powerless, HttpStatusCode.Forbidden) })
        {
            using var upsert = await _kit.PostAsync($"/api/v1/{kind.Collection}?upsert=true", body, api);
            Assert.Equal(expected, upsert.StatusCode);
            using var read = await _kit.GetAsync($"/api/v1/{kind.Collection}/aaaaaaaaaaaaaaaaaaaaaaaaaa", api);
            Assert.Equal(expected, read.StatusCode);
            using var resolve = await _kit.ResolveAsync(tenant, kind.Collection, api);
            Assert.Equal(expected, resolve.StatusCode);
            using var toggle = await _kit.ToggleAsync(tenant, "ENABLED", kind.Resource, api);
            Assert.Equal(expected, toggle.StatusCode);
        }

        await using var scope = factory.ScopeFor(_kit.ApplicationId, tenant.Id);
        var db = LanyardFactory.Db(scope);
        Assert.False(db.Policies.Any(p => p.TenantId == tenant.Id));
        Assert.False(db.PolicyOverrideToggles.Any());
    }

    [Fact]
    public async Task A_user_token_acts_only_for_its_own_tenant_on_every_kind()
    {
        var own = await factory.CreateTenantAsync();
        var other = await factory.CreateTenantAsync();
        var kinds = new List<PolicyKindCase>();
        foreach (var name in PolicyKindCases.Names)
        {
            kinds.Add(await PolicyKindCases.GetAsync(name, factory));
        }

        var ids = new Dictionary<string, string>();
        foreach (var kind in kinds)
        {
            var copy = await _kit.PostOkAsync($"/api/v1/{kind.Collection}", kind.Body("TENANT", other.Id, kind.Create), HttpStatusCode.Created);
            ids[kind.Collection] = copy.GetProperty("id").GetString()!;
        }

        using var user = await _kit.TenantAdminApiAsync(own, [.. kinds.SelectMany(k => new[] { $"{k.Resource}:read", $"{k.Resource}:write" })]);
        foreach (var kind in kinds)
        {
            var path = $"/api/v1/{kind.Collection}";
            using var ownCopy = await _kit.PostAsync($"{path}?upsert=true", kind.Body("TENANT", own.Id, kind.Create), user);
            Assert.True(ownCopy.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{kind.Collection}: {(int)ownCopy.StatusCode}");
            using var ownToggle = await _kit.ToggleAsync(own, "ENABLED", kind.Resource, user);
            Assert.True(ownToggle.IsSuccessStatusCode, kind.Collection);
            using var ownResolve = await _kit.ResolveAsync(own, kind.Collection, user);
            Assert.Equal(HttpStatusCode.OK, ownResolve.StatusCode);

            using var otherWrite = await _kit.PostAsync($"{path}?upsert=true", kind.Body("TENANT", other.Id, kind.Create), user);
            Assert.Equal(HttpStatusCode.Forbidden, otherWrite.StatusCode);
            using var applicationWrite = await _kit.PostAsync($"{path}?upsert=true", kind.Body("APPLICATION", _kit.ApplicationId, kind.Create), user);
            Assert.Equal(HttpStatusCode.Forbidden, applicationWrite.StatusCode);
            using var otherToggle = await _kit.ToggleAsync(other, "ENABLED", kind.Resource, user);
            Assert.Equal(HttpStatusCode.Forbidden, otherToggle.StatusCode);
            using var otherResolve = await _kit.ResolveAsync(other, kind.Collection, user);
            Assert.Equal(HttpStatusCode.Forbidden, otherResolve.StatusCode);
            using var otherRead = await _kit.GetAsync($"{path}/{ids[kind.Collection]}", user);
            Assert.Equal(HttpStatusCode.NotFound, otherRead.StatusCode);
            Assert.DoesNotContain(other.Id, await otherRead.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Email_policies_resolve_per_email_type()
    {
        var tenant = await factory.CreateTenantAsync();
        await _kit.PostOkAsync("/api/v1/email-policies", PolicyApiKit.Body("TENANT", tenant.Id,
            new { emailType = "USER_ACTIVATION", actionLinkLifetime = 2, actionLinkLifetimeUnit = "HOURS" }), HttpStatusCode.Created);
        using (await _kit.ToggleAsync(tenant, "ENABLED", "email-policy"))
        {
        }

        using var all = await _kit.ResolveAsync(tenant, "email-policies");
        var items = (await PolicyApiKit.BodyAsync(all)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["USER_ACTIVATION", "EMAIL_VERIFICATION", "PASSWORD_RESET", "NEW_USER_INVITATION", "EXISTING_USER_INVITATION", "TENANT_DISAMBIGUATION"],
            items.Select(i => i.GetProperty("item").GetProperty("emailType").GetString()));
        var activation = items[0];
        Assert.False(activation.GetProperty("isDefault").GetBoolean());
        Assert.Equal("TENANT", activation.GetProperty("item").GetProperty("ownerType").GetString());
        Assert.Equal(2, activation.GetProperty("item").GetProperty("actionLinkLifetime").GetInt32());
        Assert.Equal("HOURS", activation.GetProperty("item").GetProperty("actionLinkLifetimeUnit").GetString());

        // A type the tenant has no copy of comes from the application (or the built-in defaults), even with the toggle on.
        Assert.NotEqual("TENANT", items[2].GetProperty("item").GetProperty("ownerType").GetString());

        using var narrowed = await _kit.PostAsync($"/api/v1/tenants/{tenant.Id}/email-policies/resolve-overrides?email_types=USER_ACTIVATION", new { });
        Assert.Single((await PolicyApiKit.BodyAsync(narrowed)).GetProperty("items").EnumerateArray());
        using var wrong = await _kit.PostAsync($"/api/v1/tenants/{tenant.Id}/email-policies/resolve-overrides?email_types=SMS", new { });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal("invalid_query_parameter", await PolicyApiKit.ErrorCodeAsync(wrong));
    }

    [Fact]
    public async Task Default_roles_must_exist_for_the_owner_and_be_no_more_than_the_caller_holds()
    {
        var tenant = await factory.CreateTenantAsync();
        var other = await factory.CreateTenantAsync();
        var roles = new RoleKit(factory);
        var otherRole = (await roles.RoleAsync(other)).GetProperty("id").GetString()!;
        var ownRole = (await roles.RoleAsync(tenant)).GetProperty("id").GetString()!;

        // Another tenant's role is not visible to this tenant's policy, nor to the application's.
        using var foreign = await _kit.PostAsync("/api/v1/role-assignment-policies?upsert=true",
            PolicyApiKit.Body("TENANT", tenant.Id, new { defaultSignupRoles = new[] { otherRole } }));
        Assert.Contains("invalid_value", await PolicyApiKit.ViolationsAsync(foreign, "defaultSignupRoles"));
        using var tenantRoleForApplication = await _kit.PostAsync("/api/v1/role-assignment-policies?upsert=true",
            PolicyApiKit.Body("APPLICATION", _kit.ApplicationId, new { defaultSignupRoles = new[] { ownRole } }));
        Assert.Contains("invalid_value", await PolicyApiKit.ViolationsAsync(tenantRoleForApplication, "defaultSignupRoles"));
        await _kit.PostOkAsync("/api/v1/role-assignment-policies?upsert=true",
            PolicyApiKit.Body("TENANT", tenant.Id, new { defaultSignupRoles = new[] { ownRole } }), HttpStatusCode.Created);

        // A tenant admin who may write the policy but not manage users may not make the admin role everyone's default.
        using var user = await _kit.TenantAdminApiAsync(tenant, "role-assignment-policy:write", "role-assignment-policy:read");
        var adminRoleId = await _kit.AdminClientRoleIdAsync();
        using var escalation = await _kit.PostAsync("/api/v1/role-assignment-policies?upsert=true",
            PolicyApiKit.Body("TENANT", tenant.Id, new { defaultSignupRoles = new[] { adminRoleId } }), user);
        Assert.Equal(HttpStatusCode.Forbidden, escalation.StatusCode);
        Assert.Equal("forbidden", await PolicyApiKit.ErrorCodeAsync(escalation));
        using var harmless = await _kit.PostAsync("/api/v1/role-assignment-policies?upsert=true",
            PolicyApiKit.Body("TENANT", tenant.Id, new { defaultSignupRoles = new[] { ownRole } }), user);
        Assert.Equal(HttpStatusCode.OK, harmless.StatusCode);
        using var read = await _kit.ResolveAsync(tenant, "role-assignment-policies");
        Assert.DoesNotContain(adminRoleId, (await PolicyApiKit.BodyAsync(read)).GetRawText(), StringComparison.Ordinal);
    }

    private async Task<JsonElement> ResolvedAsync(PolicyKindCase kind, Tenant tenant)
    {
        using var response = await _kit.ResolveAsync(tenant, kind.Collection);
        var body = await PolicyApiKit.BodyAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        if (kind.EmailType is null)
        {
            return body;
        }

        // Several policies per owner: one item per email type, each with its own isDefault.
        var item = body.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("item").GetProperty("emailType").GetString() == kind.EmailType);
        var merged = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(item.GetProperty("item").GetRawText())!;
        merged["isDefault"] = item.GetProperty("isDefault");
        return JsonSerializer.SerializeToElement(merged);
    }

    private static Dictionary<string, object?> Single(string field, object value) => new() { [field] = value };

    private static Dictionary<string, object?> Merge(Dictionary<string, object?> settings, string field, object value) =>
        new(settings) { [field] = value };

    private static string Json(object? value) => JsonSerializer.Serialize(value);
}

public sealed class PolicyKindApiOnSqlite(SqliteLanyard factory) : PolicyKindApiTests(factory), IClassFixture<SqliteLanyard>;

public sealed class PolicyKindApiOnPostgres(PostgresLanyard factory) : PolicyKindApiTests(factory), IClassFixture<PostgresLanyard>;
