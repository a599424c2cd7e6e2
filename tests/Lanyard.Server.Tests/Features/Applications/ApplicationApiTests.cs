using System.Net;
using System.Text.Json;
using Lanyard.Server.Common;
using Lanyard.Server.Tests.Features.Tenants.Api;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Applications;

/// <summary>GET and PATCH /api/v1/applications/{id}: shape, merge patch, each validation error, and who may call.</summary>
public abstract class ApplicationApiTests(LanyardFactory factory)
{
    private readonly ResourceKit _kit = new(factory);

    private string Path => $"/api/v1/applications/{_kit.ApplicationId}";

    [Fact]
    public async Task The_application_is_read_in_wristbands_shape()
    {
        using var response = await ResourceKit.GetAsync(await _kit.AdminAsync(), Path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ResourceKit.BodyAsync(response);
        Assert.Equal(
            ["id", "name", "displayName", "vanityDomain", "environmentType", "isMultiTenant", "signupEnabled", "loginUrl", "logoutUrls", "metadata"],
            body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(_kit.ApplicationId, body.GetProperty("id").GetString());
        Assert.StartsWith(LanyardFactory.ApplicationHost, body.GetProperty("vanityDomain").GetString(), StringComparison.Ordinal);
        Assert.Equal("DEVELOPMENT", body.GetProperty("environmentType").GetString());
        Assert.Equal(JsonValueKind.Array, body.GetProperty("logoutUrls").ValueKind);
        Assert.True(body.GetProperty("metadata").GetProperty("version").GetInt64() >= 1);

        using var projected = await ResourceKit.GetAsync(await _kit.AdminAsync(), Path + "?fields=displayName");
        Assert.Equal(["id", "displayName"], (await ResourceKit.BodyAsync(projected)).EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Patch_changes_given_fields_clears_nulls_and_keeps_the_rest()
    {
        var admin = await _kit.AdminAsync();
        using var before = await ResourceKit.GetAsync(admin, Path);
        var original = await ResourceKit.BodyAsync(before);
        var version = original.GetProperty("metadata").GetProperty("version").GetInt64();

        using var patched = await ResourceKit.PatchAsync(admin, Path, new
        {
            displayName = "  Renamed App ",
            loginUrl = "https://{tenant_domain}.app.example.com/login",
            logoutUrls = new[] { "https://app.example.com/bye", "https://{tenant_name}.app.example.com/bye", "https://app.example.com/bye" },
            signupEnabled = true,
            isMultiTenant = false,
        });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var body = await ResourceKit.BodyAsync(patched);
        Assert.Equal("Renamed App", body.GetProperty("displayName").GetString());
        Assert.Equal("https://{tenant_domain}.app.example.com/login", body.GetProperty("loginUrl").GetString());
        Assert.Equal(["https://app.example.com/bye", "https://{tenant_name}.app.example.com/bye"], body.GetProperty("logoutUrls").EnumerateArray().Select(u => u.GetString()));
        Assert.True(body.GetProperty("signupEnabled").GetBoolean());
        Assert.False(body.GetProperty("isMultiTenant").GetBoolean());
        Assert.Equal(original.GetProperty("name").GetString(), body.GetProperty("name").GetString());
        Assert.Equal(version + 1, body.GetProperty("metadata").GetProperty("version").GetInt64());

        using var reread = await ResourceKit.GetAsync(admin, Path);
        Assert.Equal(body.ToString(), (await ResourceKit.BodyAsync(reread)).ToString());

        using var cleared = await ResourceKit.SendAsync(admin, HttpMethod.Patch, Path,
            $$"""{"loginUrl":null,"logoutUrls":null,"signupEnabled":{{original.GetProperty("signupEnabled").GetRawText()}},"isMultiTenant":true,"displayName":{{original.GetProperty("displayName").GetRawText()}}}""",
            ResourceKit.MergePatchJson);
        var restored = await ResourceKit.BodyAsync(cleared);
        Assert.Equal(JsonValueKind.Null, restored.GetProperty("loginUrl").ValueKind);
        Assert.Empty(restored.GetProperty("logoutUrls").EnumerateArray());
        Assert.Equal(original.GetProperty("displayName").GetString(), restored.GetProperty("displayName").GetString());
    }

    public static TheoryData<string, string, string> BadPatches => new()
    {
        { """{"displayName":""}""", "displayName", ViolationCodes.Required },
        { """{"displayName":null}""", "displayName", ViolationCodes.Required },
        { $$"""{"displayName":"{{new string('x', 61)}}"}""", "displayName", ViolationCodes.TooLong },
        { """{"loginUrl":"http://app.example.com/login"}""", "loginUrl", ViolationCodes.InvalidFormat },
        { """{"loginUrl":"https://app.{tenant_domain}.example.com/login"}""", "loginUrl", ViolationCodes.InvalidFormat },
        { """{"loginUrl":"https://{tenant}.example.com/login"}""", "loginUrl", ViolationCodes.InvalidFormat },
        { """{"loginUrl":"https://user:pw@app.example.com/login"}""", "loginUrl", ViolationCodes.InvalidFormat },
        { """{"loginUrl":42}""", "loginUrl", ViolationCodes.InvalidFormat },
        { $$"""{"logoutUrls":[{{string.Join(",", Enumerable.Range(0, 11).Select(i => $"\"https://a{i}.example.com\""))}}]}""", "logoutUrls", ViolationCodes.TooLong },
        { """{"logoutUrls":["https://ok.example.com", "javascript:alert(1)"]}""", "logoutUrls", ViolationCodes.InvalidFormat },
        { """{"logoutUrls":["https://ok.example.com", null]}""", "logoutUrls", ViolationCodes.InvalidFormat },
        { """{"signupEnabled":null}""", "signupEnabled", ViolationCodes.Required },
        { """{"isMultiTenant":"no"}""", "isMultiTenant", ViolationCodes.InvalidFormat },
        { """{"name":"other"}""", "name", ViolationCodes.InvalidValue },
        { """{"vanityDomain":"evil.example.com"}""", "vanityDomain", ViolationCodes.InvalidValue },
        { """{"environmentType":"PRODUCTION"}""", "environmentType", ViolationCodes.InvalidValue },
        { """{"tenantClassifier":"TEAM"}""", "tenantClassifier", ViolationCodes.InvalidValue },
    };

    [Theory]
    [MemberData(nameof(BadPatches))]
    public async Task Each_invalid_patch_gets_its_violation_and_changes_nothing(string json, string field, string code)
    {
        var admin = await _kit.AdminAsync();
        using var before = await ResourceKit.GetAsync(admin, Path);
        var original = (await ResourceKit.BodyAsync(before)).ToString();

        using var response = await ResourceKit.SendAsync(admin, HttpMethod.Patch, Path, json, ResourceKit.MergePatchJson);
        await ResourceKit.AssertViolationAsync(response, field, code);

        using var after = await ResourceKit.GetAsync(admin, Path);
        Assert.Equal(original, (await ResourceKit.BodyAsync(after)).ToString());
    }

    [Fact]
    public async Task Only_a_grant_over_the_whole_application_reads_or_changes_it()
    {
        using (var anonymous = await ResourceKit.GetAsync(_kit.Anonymous(), Path))
        {
            await ResourceKit.AssertErrorAsync(anonymous, HttpStatusCode.Unauthorized, "invalid_token");
        }

        using (var anonymousPatch = await ResourceKit.PatchAsync(_kit.Anonymous(), Path, new { signupEnabled = true }))
        {
            await ResourceKit.AssertErrorAsync(anonymousPatch, HttpStatusCode.Unauthorized, "invalid_token");
        }

        var reader = await _kit.ClientApiAsync("application:read");
        using (var read = await ResourceKit.GetAsync(reader, Path))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        using (var write = await ResourceKit.PatchAsync(reader, Path, new { signupEnabled = true }))
        {
            await ResourceKit.AssertErrorAsync(write, HttpStatusCode.Forbidden, "forbidden");
        }

        using (var elsewhere = await ResourceKit.GetAsync(reader, "/api/v1/applications/aaaaaaaaaaaaaaaaaaaaaaaaaa"))
        {
            await ResourceKit.AssertErrorAsync(elsewhere, HttpStatusCode.NotFound, "application_not_found");
        }

        var tenant = await factory.CreateTenantAsync();
        var listed = await _kit.InclusionListClientAsync([tenant], "application:read", "application:write");
        var (_, user) = await _kit.UserApiAsync(tenant, "application:read", "application:write");
        foreach (var confined in new[] { listed, user })
        {
            using var get = await ResourceKit.GetAsync(confined, Path);
            await ResourceKit.AssertErrorAsync(get, HttpStatusCode.Forbidden, "forbidden");
            using var patch = await ResourceKit.PatchAsync(confined, Path, new { signupEnabled = true });
            await ResourceKit.AssertErrorAsync(patch, HttpStatusCode.Forbidden, "forbidden");
        }
    }
}

public sealed class ApplicationApiOnSqlite(SqliteLanyard factory) : ApplicationApiTests(factory), IClassFixture<SqliteLanyard>;

public sealed class ApplicationApiOnPostgres(PostgresLanyard factory) : ApplicationApiTests(factory), IClassFixture<PostgresLanyard>;
