using System.Net;
using Lanyard.Server.Features.Mfa;
using Lanyard.Server.Features.Policies;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Policies;

/// <summary>The MFA policy APIs: upsert, read, override toggles, resolve-overrides, and the checks on each.</summary>
public abstract class MfaPolicyApiTests(LanyardFactory factory) : IAsyncLifetime
{
    private readonly PolicyApiKit _kit = new(factory);

    // The kit reads the bootstrap values synchronously (e.g. in request bodies), so the server is up first.
    public async ValueTask InitializeAsync()
    {
        factory.RequireDatabase();
        await factory.StartAsync();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task An_application_policy_is_created_then_updated_field_by_field()
    {
        await _kit.ResetApplicationPolicyAsync();
        var appId = _kit.ApplicationId;

        using var created = await _kit.PostAsync("/api/v1/mfa-policies", new
        {
            ownerType = "APPLICATION", ownerId = appId, enrollmentStrategy = "REQUIRED",
            allowedAuthFactors = new[] { "TOTP" }, totpSettings = new { issuer = " Acme Cloud " },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var policy = await PolicyApiKit.BodyAsync(created);
        var id = policy.GetProperty("id").GetString()!;
        Assert.Equal($"/api/v1/mfa-policies/{id}", created.Headers.Location!.OriginalString);
        Assert.Equal("APPLICATION", policy.GetProperty("ownerType").GetString());
        Assert.Equal(appId, policy.GetProperty("ownerId").GetString());
        Assert.Equal("REQUIRED", policy.GetProperty("enrollmentStrategy").GetString());
        Assert.Equal(["TOTP"], PolicyApiKit.Factors(policy));
        Assert.Equal("Acme Cloud", policy.GetProperty("totpSettings").GetProperty("issuer").GetString());
        Assert.Equal(1, policy.GetProperty("metadata").GetProperty("version").GetInt64());
        Assert.False(policy.TryGetProperty("isDefault", out _));

        // Without ?upsert=true an existing row is not overwritten.
        using var again = await _kit.PostAsync("/api/v1/mfa-policies", new { ownerType = "APPLICATION", ownerId = appId, enrollmentStrategy = "OPTIONAL" });
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("not_unique", await PolicyApiKit.ViolationsAsync(again, "ownerId"));

        factory.Time.Advance(TimeSpan.FromMinutes(1));
        using var updated = await _kit.PostAsync("/api/v1/mfa-policies?upsert=true", new
        {
            ownerType = "APPLICATION", ownerId = appId, allowedAuthFactors = new[] { "TOTP", "RECOVERY_CODE" },
        });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        policy = await PolicyApiKit.BodyAsync(updated);
        Assert.Equal(id, policy.GetProperty("id").GetString());
        Assert.Equal("REQUIRED", policy.GetProperty("enrollmentStrategy").GetString());
        Assert.Equal(["TOTP", "RECOVERY_CODE"], PolicyApiKit.Factors(policy));
        Assert.Equal("Acme Cloud", policy.GetProperty("totpSettings").GetProperty("issuer").GetString());
        var metadata = policy.GetProperty("metadata");
        Assert.Equal(2, metadata.GetProperty("version").GetInt64());
        Assert.True(metadata.GetProperty("lastModifiedTime").GetDateTimeOffset() > metadata.GetProperty("creationTime").GetDateTimeOffset());

        // A null issuer goes back to the application's display name.
        using var cleared = await _kit.PostAsync("/api/v1/mfa-policies?upsert=true", new { ownerType = "APPLICATION", ownerId = appId, totpSettings = new { issuer = (string?)null } });
        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);

        using var read = await _kit.GetAsync($"/api/v1/mfa-policies/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        policy = await PolicyApiKit.BodyAsync(read);
        Assert.Equal("REQUIRED", policy.GetProperty("enrollmentStrategy").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, policy.GetProperty("totpSettings").GetProperty("issuer").ValueKind);
        Assert.Equal(3, policy.GetProperty("metadata").GetProperty("version").GetInt64());

        // The resolver the MFA gate uses reads what the API wrote, in the application's and in a tenant's scope.
        var seen = await _kit.ResolverSeesAsync(null);
        Assert.Equal(MfaEnrollmentStrategy.Required, seen.EnrollmentStrategy);
        Assert.True(seen.RecoveryCodesEnabled);
        var tenant = await factory.CreateTenantAsync();
        Assert.True((await _kit.ResolverSeesAsync(tenant)).EnrollmentRequired);

        using var resolved = await _kit.ResolveAsync(tenant);
        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        var effective = await PolicyApiKit.BodyAsync(resolved);
        Assert.Equal(id, effective.GetProperty("id").GetString());
        Assert.Equal("APPLICATION", effective.GetProperty("ownerType").GetString());
        Assert.False(effective.GetProperty("isDefault").GetBoolean());
    }

    [Fact]
    public async Task With_nothing_stored_a_tenant_resolves_to_the_built_in_defaults()
    {
        await _kit.ResetApplicationPolicyAsync();
        var tenant = await factory.CreateTenantAsync();

        using var resolved = await _kit.ResolveAsync(tenant);
        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        var effective = await PolicyApiKit.BodyAsync(resolved);
        Assert.True(effective.GetProperty("isDefault").GetBoolean());
        Assert.False(effective.TryGetProperty("id", out _));
        Assert.Equal("APPLICATION", effective.GetProperty("ownerType").GetString());
        Assert.Equal(_kit.ApplicationId, effective.GetProperty("ownerId").GetString());
        Assert.Equal("OPTIONAL", effective.GetProperty("enrollmentStrategy").GetString());
        Assert.Equal(["TOTP", "RECOVERY_CODE"], PolicyApiKit.Factors(effective));
    }

    [Fact]
    public async Task Invalid_settings_are_refused_field_by_field_and_nothing_is_saved()
    {
        var tenant = await factory.CreateTenantAsync();
        async Task ExpectAsync(object settings, string field, string code)
        {
            var body = new Dictionary<string, object?> { ["ownerType"] = "TENANT", ["ownerId"] = tenant.Id };
            foreach (var property in settings.GetType().GetProperties())
            {
                body[property.Name] = property.GetValue(settings);
            }

            using var response = await _kit.PostAsync("/api/v1/mfa-policies?upsert=true", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(code, await PolicyApiKit.ViolationsAsync(response, field));
        }

        await ExpectAsync(new { enrollmentStrategy = "ALWAYS" }, "enrollmentStrategy", "invalid_value");
        await ExpectAsync(new { enrollmentStrategy = 1 }, "enrollmentStrategy", "invalid_value");
        await ExpectAsync(new { enrollmentStrategy = (string?)null }, "enrollmentStrategy", "invalid_value");
        await ExpectAsync(new { allowedAuthFactors = new[] { "SMS" } }, "allowedAuthFactors", "invalid_value");
        await ExpectAsync(new { allowedAuthFactors = "TOTP" }, "allowedAuthFactors", "invalid_value");
        await ExpectAsync(new { allowedAuthFactors = new[] { "TOTP", "TOTP" } }, "allowedAuthFactors", "not_unique");
        await ExpectAsync(new { enrollmentStrategy = "REQUIRED", allowedAuthFactors = Array.Empty<string>() }, "allowedAuthFactors", "required");
        await ExpectAsync(new { allowedAuthFactors = new[] { "RECOVERY_CODE" } }, "allowedAuthFactors", "invalid_value");
        await ExpectAsync(new { totpSettings = new { issuer = new string('a', 101) } }, "totpSettings.issuer", "too_long");
        await ExpectAsync(new { totpSettings = new { issuer = "Acme:Cloud" } }, "totpSettings.issuer", "invalid_format");
        await ExpectAsync(new { totpSettings = new { issuer = "  " } }, "totpSettings.issuer", "too_short");
        await ExpectAsync(new { totpSettings = "Acme" }, "totpSettings", "invalid_value");

        // Every broken rule is reported at once.
        using var several = await _kit.PostAsync("/api/v1/mfa-policies?upsert=true", new
        {
            ownerType = "TENANT", ownerId = tenant.Id, enrollmentStrategy = "NEVER", totpSettings = new { issuer = "a:b" },
        });
        Assert.Contains("invalid_value", await PolicyApiKit.ViolationsAsync(several, "enrollmentStrategy"));
        Assert.Contains("invalid_format", await PolicyApiKit.ViolationsAsync(several, "totpSettings.issuer"));

        // None of it was stored: the tenant still has no policy of its own.
        await using (var scope = factory.ScopeFor(_kit.ApplicationId, tenant.Id))
        {
            Assert.False(LanyardFactory.Db(scope).Policies.Any(p => p.TenantId == tenant.Id));
        }

        // The rules hold on the merged result: a partial update cannot empty the factors of a REQUIRED policy.
        using var required = await _kit.PostAsync("/api/v1/mfa-policies?upsert=true", new
        {
            ownerType = "TENANT", ownerId = tenant.Id, enrollmentStrategy = "REQUIRED", allowedAuthFactors = new[] { "TOTP" },
        });
        Assert.Equal(HttpStatusCode.Created, required.StatusCode);
        await ExpectAsync(new { allowedAuthFactors = Array.Empty<string>() }, "allowedAuthFactors", "required");
        using var read = await _kit.GetAsync($"/api/v1/mfa-policies/{(await PolicyApiKit.BodyAsync(required)).GetProperty("id").GetString()}");
        Assert.Equal(["TOTP"], PolicyApiKit.Factors(await PolicyApiKit.BodyAsync(read)));
    }

    [Fact]
    public async Task Owners_are_checked()
    {
        using var noOwner = await _kit.PostAsync("/api/v1/mfa-policies", new { enrollmentStrategy = "OPTIONAL" });
        Assert.Contains("required", await PolicyApiKit.ViolationsAsync(noOwner, "ownerType"));
        using var noOwnerAgain = await _kit.PostAsync("/api/v1/mfa-policies", new { enrollmentStrategy = "OPTIONAL" });
        Assert.Contains("required", await PolicyApiKit.ViolationsAsync(noOwnerAgain, "ownerId"));

        using var badType = await _kit.PostAsync("/api/v1/mfa-policies", new { ownerType = "USER", ownerId = _kit.ApplicationId });
        Assert.Contains("invalid_value", await PolicyApiKit.ViolationsAsync(badType, "ownerType"));

        using var otherApp = await _kit.PostAsync("/api/v1/mfa-policies?upsert=true", new { ownerType = "APPLICATION", ownerId = "aaaaaaaaaaaaaaaaaaaaaaaaaa" });
        Assert.Equal(HttpStatusCode.NotFound, otherApp.StatusCode);
        Assert.Equal("application_not_found", await PolicyApiKit.ErrorCodeAsync(otherApp));

        using var noTenant = await _kit.PostAsync("/api/v1/mfa-policies?upsert=true", new { ownerType = "TENANT", ownerId = "aaaaaaaaaaaaaaaaaaaaaaaaaa" });
        Assert.Equal(HttpStatusCode.NotFound, noTenant.StatusCode);
        Assert.Equal("tenant_not_found", await PolicyApiKit.ErrorCodeAsync(noTenant));

        var tenant = await factory.CreateTenantAsync();
        using var appIdAsTenant = await _kit.PostAsync("/api/v1/mfa-policies?upsert=true", new { ownerType = "TENANT", ownerId = _kit.ApplicationId });
        Assert.Equal("tenant_not_found", await PolicyApiKit.ErrorCodeAsync(appIdAsTenant));
        using var tenantIdAsApp = await _kit.PostAsync("/api/v1/mfa-policies?upsert=true", new { ownerType = "APPLICATION", ownerId = tenant.Id });
        Assert.Equal("application_not_found", await PolicyApiKit.ErrorCodeAsync(tenantIdAsApp));

        using var resolveUnknown = await _kit.PostAsync("/api/v1/tenants/aaaaaaaaaaaaaaaaaaaaaaaaaa/mfa-policies/resolve-overrides", new { });
        Assert.Equal(HttpStatusCode.NotFound, resolveUnknown.StatusCode);
        Assert.Equal("tenant_not_found", await PolicyApiKit.ErrorCodeAsync(resolveUnknown));
    }

    [Fact]
    public async Task A_tenant_copy_applies_only_while_its_override_toggle_is_enabled()
    {
        using var application = await _kit.PostAsync("/api/v1/mfa-policies?upsert=true", new
        {
            ownerType = "APPLICATION", ownerId = _kit.ApplicationId, enrollmentStrategy = "REQUIRED", allowedAuthFactors = new[] { "TOTP" },
        });
        Assert.True(application.IsSuccessStatusCode);
        var applicationPolicyId = (await PolicyApiKit.BodyAsync(application)).GetProperty("id").GetString();
        var tenant = await factory.CreateTenantAsync();

        using var copy = await _kit.PostAsync("/api/v1/mfa-policies", new
        {
            ownerType = "TENANT", ownerId = tenant.Id, enrollmentStrategy = "OPTIONAL", totpSettings = new { issuer = "Tenant Co" },
        });
        Assert.Equal(HttpStatusCode.Created, copy.StatusCode);
        var tenantPolicy = await PolicyApiKit.BodyAsync(copy);
        var tenantPolicyId = tenantPolicy.GetProperty("id").GetString();
        Assert.Equal("TENANT", tenantPolicy.GetProperty("ownerType").GetString());
        Assert.Equal(tenant.Id, tenantPolicy.GetProperty("ownerId").GetString());
        Assert.Equal(["TOTP", "RECOVERY_CODE"], PolicyApiKit.Factors(tenantPolicy));

        // A copy without its toggle changes nothing.
        Assert.Equal(applicationPolicyId, await ResolvedIdAsync(tenant));
        Assert.True((await _kit.ResolverSeesAsync(tenant)).EnrollmentRequired);

        using var enabled = await _kit.PostAsync("/api/v1/mfa-policy-override-toggles", new { ownerType = "TENANT", ownerId = tenant.Id, status = "ENABLED" });
        Assert.Equal(HttpStatusCode.Created, enabled.StatusCode);
        var toggle = await PolicyApiKit.BodyAsync(enabled);
        Assert.Equal("TENANT", toggle.GetProperty("ownerType").GetString());
        Assert.Equal(tenant.Id, toggle.GetProperty("ownerId").GetString());
        Assert.Equal("ENABLED", toggle.GetProperty("status").GetString());
        Assert.Equal(1, toggle.GetProperty("metadata").GetProperty("version").GetInt64());

        using var resolved = await _kit.ResolveAsync(tenant);
        var effective = await PolicyApiKit.BodyAsync(resolved);
        Assert.Equal(tenantPolicyId, effective.GetProperty("id").GetString());
        Assert.Equal("TENANT", effective.GetProperty("ownerType").GetString());
        Assert.Equal(tenant.Id, effective.GetProperty("ownerId").GetString());
        Assert.Equal("OPTIONAL", effective.GetProperty("enrollmentStrategy").GetString());
        Assert.Equal("Tenant Co", effective.GetProperty("totpSettings").GetProperty("issuer").GetString());
        Assert.False(effective.GetProperty("isDefault").GetBoolean());
        var seen = await _kit.ResolverSeesAsync(tenant);
        Assert.False(seen.EnrollmentRequired);
        Assert.Equal("Tenant Co", seen.TotpSettings.Issuer);

        using var duplicate = await _kit.PostAsync("/api/v1/mfa-policy-override-toggles", new { ownerType = "TENANT", ownerId = tenant.Id, status = "DISABLED" });
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        Assert.Contains("not_unique", await PolicyApiKit.ViolationsAsync(duplicate, "ownerId"));
        Assert.Equal(tenantPolicyId, await ResolvedIdAsync(tenant));

        using var disabled = await _kit.ToggleAsync(tenant, "DISABLED");
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        toggle = await PolicyApiKit.BodyAsync(disabled);
        Assert.Equal("DISABLED", toggle.GetProperty("status").GetString());
        Assert.Equal(2, toggle.GetProperty("metadata").GetProperty("version").GetInt64());
        Assert.Equal(applicationPolicyId, await ResolvedIdAsync(tenant));
        Assert.True((await _kit.ResolverSeesAsync(tenant)).EnrollmentRequired);

        // The copy is kept while the toggle is off and applies again when it is switched back on.
        using var reenabled = await _kit.ToggleAsync(tenant, "ENABLED");
        Assert.Equal(HttpStatusCode.OK, reenabled.StatusCode);
        Assert.Equal(tenantPolicyId, await ResolvedIdAsync(tenant));
    }

    [Fact]
    public async Task A_tenant_copy_is_never_seen_from_another_tenant()
    {
        using var application = await _kit.PostAsync("/api/v1/mfa-policies?upsert=true", new { ownerType = "APPLICATION", ownerId = _kit.ApplicationId, enrollmentStrategy = "REQUIRED", allowedAuthFactors = new[] { "TOTP" } });
        Assert.True(application.IsSuccessStatusCode);
        var a = await factory.CreateTenantAsync();
        var b = await factory.CreateTenantAsync();
        using var copy = await _kit.PostAsync("/api/v1/mfa-policies", new { ownerType = "TENANT", ownerId = a.Id, enrollmentStrategy = "OPTIONAL", totpSettings = new { issuer = "Only A" } });
        var copyId = (await PolicyApiKit.BodyAsync(copy)).GetProperty("id").GetString();
        using (await _kit.ToggleAsync(a, "ENABLED"))
        {
        }

        // B's toggle on, but B has no copy of its own: B gets the application's policy, never A's.
        using var toggleB = await _kit.ToggleAsync(b, "ENABLED");
        Assert.Equal(HttpStatusCode.Created, toggleB.StatusCode);
        using var resolvedB = await _kit.ResolveAsync(b);
        var effective = await PolicyApiKit.BodyAsync(resolvedB);
        Assert.Equal("APPLICATION", effective.GetProperty("ownerType").GetString());
        Assert.NotEqual(copyId, effective.GetProperty("id").GetString());
        var seenByB = await _kit.ResolverSeesAsync(b);
        Assert.True(seenByB.EnrollmentRequired);
        Assert.Null(seenByB.TotpSettings.Issuer);
        Assert.Equal(copyId, await ResolvedIdAsync(a));

        // The admin client (application boundary) reads A's copy by id; its owner is A.
        using var read = await _kit.GetAsync($"/api/v1/mfa-policies/{copyId}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(a.Id, (await PolicyApiKit.BodyAsync(read)).GetProperty("ownerId").GetString());
    }

    [Fact]
    public async Task Override_toggles_are_checked()
    {
        var tenant = await factory.CreateTenantAsync();
        using var application = await _kit.PostAsync("/api/v1/mfa-policy-override-toggles?upsert=true", new { ownerType = "APPLICATION", ownerId = _kit.ApplicationId, status = "ENABLED" });
        Assert.Contains("invalid_value", await PolicyApiKit.ViolationsAsync(application, "ownerType"));
        using var status = await _kit.ToggleAsync(tenant, "ON");
        Assert.Contains("invalid_value", await PolicyApiKit.ViolationsAsync(status, "status"));
        using var noStatus = await _kit.PostAsync("/api/v1/mfa-policy-override-toggles?upsert=true", new { ownerType = "TENANT", ownerId = tenant.Id });
        Assert.Contains("required", await PolicyApiKit.ViolationsAsync(noStatus, "status"));
        using var unknown = await _kit.PostAsync("/api/v1/mfa-policy-override-toggles?upsert=true", new { ownerType = "TENANT", ownerId = "aaaaaaaaaaaaaaaaaaaaaaaaaa", status = "ENABLED" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("tenant_not_found", await PolicyApiKit.ErrorCodeAsync(unknown));

        await using var scope = factory.ScopeFor(_kit.ApplicationId, tenant.Id);
        Assert.False(LanyardFactory.Db(scope).PolicyOverrideToggles.Any());
    }

    [Fact]
    public async Task Unknown_ids_and_policies_of_other_kinds_are_not_found()
    {
        using var unknown = await _kit.GetAsync("/api/v1/mfa-policies/aaaaaaaaaaaaaaaaaaaaaaaaaa");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("policy_not_found", await PolicyApiKit.ErrorCodeAsync(unknown));

        var tenant = await factory.CreateTenantAsync();
        await factory.SetPolicyAsync(PolicyKind.Password, "{}", tenant);
        await using var scope = factory.ScopeFor(_kit.ApplicationId, tenant.Id);
        var passwordPolicyId = LanyardFactory.Db(scope).Policies.Single(p => p.TenantId == tenant.Id && p.Kind == PolicyKind.Password).Id;
        using var otherKind = await _kit.GetAsync($"/api/v1/mfa-policies/{passwordPolicyId}");
        Assert.Equal(HttpStatusCode.NotFound, otherKind.StatusCode);
    }

    [Fact]
    public async Task Without_a_token_every_endpoint_answers_401_and_without_the_permission_403()
    {
        var tenant = await factory.CreateTenantAsync();
        using var anonymous = factory.ClientFor(LanyardFactory.ApplicationHost);
        using var powerless = await _kit.PowerlessApiAsync();
        var body = new { ownerType = "TENANT", ownerId = tenant.Id, enrollmentStrategy = "OPTIONAL", status = "ENABLED" };
        foreach (var (api, expected) in new[] { (anonymous, HttpStatusCode.Unauthorized), (powerless, HttpStatusCode.Forbidden) })
        {
            using var upsert = await _kit.PostAsync("/api/v1/mfa-policies?upsert=true", body, api);
            Assert.Equal(expected, upsert.StatusCode);
            using var read = await _kit.GetAsync("/api/v1/mfa-policies/aaaaaaaaaaaaaaaaaaaaaaaaaa", api);
            Assert.Equal(expected, read.StatusCode);
            using var resolve = await _kit.ResolveAsync(tenant, api);
            Assert.Equal(expected, resolve.StatusCode);
            using var toggle = await _kit.PostAsync("/api/v1/mfa-policy-override-toggles?upsert=true", body, api);
            Assert.Equal(expected, toggle.StatusCode);
        }

        await using var scope = factory.ScopeFor(_kit.ApplicationId, tenant.Id);
        var db = LanyardFactory.Db(scope);
        Assert.False(db.Policies.Any(p => p.TenantId == tenant.Id));
        Assert.False(db.PolicyOverrideToggles.Any());
    }

    [Fact]
    public async Task A_user_token_acts_only_for_its_own_tenant()
    {
        var own = await factory.CreateTenantAsync();
        var other = await factory.CreateTenantAsync();
        using var copy = await _kit.PostAsync("/api/v1/mfa-policies", new { ownerType = "TENANT", ownerId = other.Id, enrollmentStrategy = "OPTIONAL" });
        var otherCopyId = (await PolicyApiKit.BodyAsync(copy)).GetProperty("id").GetString();
        using var user = await _kit.TenantAdminApiAsync(own);

        using var ownCopy = await _kit.PostAsync("/api/v1/mfa-policies?upsert=true", new { ownerType = "TENANT", ownerId = own.Id, totpSettings = new { issuer = "Own" } }, user);
        Assert.Equal(HttpStatusCode.OK, ownCopy.StatusCode);
        using var ownResolve = await _kit.ResolveAsync(own, user);
        Assert.Equal("Own", (await PolicyApiKit.BodyAsync(ownResolve)).GetProperty("totpSettings").GetProperty("issuer").GetString());

        using var otherTenant = await _kit.PostAsync("/api/v1/mfa-policies?upsert=true", new { ownerType = "TENANT", ownerId = other.Id, enrollmentStrategy = "REQUIRED" }, user);
        Assert.Equal(HttpStatusCode.Forbidden, otherTenant.StatusCode);
        using var applicationDefaults = await _kit.PostAsync("/api/v1/mfa-policies?upsert=true", new { ownerType = "APPLICATION", ownerId = _kit.ApplicationId, enrollmentStrategy = "OPTIONAL" }, user);
        Assert.Equal(HttpStatusCode.Forbidden, applicationDefaults.StatusCode);
        using var otherToggle = await _kit.ToggleAsync(other, "ENABLED", user);
        Assert.Equal(HttpStatusCode.Forbidden, otherToggle.StatusCode);
        using var otherResolve = await _kit.ResolveAsync(other, user);
        Assert.Equal(HttpStatusCode.Forbidden, otherResolve.StatusCode);
        using var otherRead = await _kit.GetAsync($"/api/v1/mfa-policies/{otherCopyId}", user);
        Assert.Equal(HttpStatusCode.NotFound, otherRead.StatusCode);

        using var otherStill = await _kit.GetAsync($"/api/v1/mfa-policies/{otherCopyId}");
        Assert.Equal("OPTIONAL", (await PolicyApiKit.BodyAsync(otherStill)).GetProperty("enrollmentStrategy").GetString());
    }

    private async Task<string?> ResolvedIdAsync(Lanyard.Server.Features.Tenants.Tenant tenant)
    {
        using var response = await _kit.ResolveAsync(tenant);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await PolicyApiKit.BodyAsync(response);
        return body.TryGetProperty("id", out var id) ? id.GetString() : null;
    }
}

public sealed class MfaPolicyApiOnSqlite(SqliteLanyard factory) : MfaPolicyApiTests(factory), IClassFixture<SqliteLanyard>;

public sealed class MfaPolicyApiOnPostgres(PostgresLanyard factory) : MfaPolicyApiTests(factory), IClassFixture<PostgresLanyard>;
