using System.Net;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Tests.Features.Roles;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Users;

/// <summary><c>lanyard export users</c> and the user list API it pages through.</summary>
public abstract class ExportTests(LanyardFactory factory) : IDisposable
{
    private readonly ImportKit _kit = new(factory);
    private readonly string _workDir = Directory.CreateTempSubdirectory("lanyard-export-").FullName;

    public void Dispose()
    {
        Directory.Delete(_workDir, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Rows with every column, values that need CSV quoting, and values a spreadsheet would take for formulas.</summary>
    private static string SourceCsv(string role, int count) => ImportKit.Csv([.. Enumerable.Range(0, count).Select(i => new Dictionary<string, string>
    {
        ["email"] = $"person{i:D4}@round.example", ["username"] = $"person{i}", ["emailVerified"] = i % 2 == 0 ? "true" : "false",
        ["externalId"] = $"x-{i}", ["fullName"] = $"Person, \"{i}\"", ["givenName"] = i == 1 ? "=HYPERLINK(\"http://evil.example\")" : $"Given{i}",
        ["familyName"] = i == 2 ? "-2+3" : "Family\nwith a line break", ["middleName"] = "M", ["honorificPrefix"] = "Dr.", ["honorificSuffix"] = "Jr.",
        ["nickname"] = "@nick", ["displayName"] = "Display " + i, ["pictureUrl"] = "https://img.example/p.png", ["gender"] = "other",
        ["birthdate"] = "1980-12-31", ["phoneNumber"] = "+4930123456", ["preferredLanguage"] = "de", ["locale"] = "de-DE",
        ["timeZone"] = "Europe/Berlin", ["roles"] = i % 3 == 0 ? $"{role}|{role}" : role, ["status"] = i == 3 ? "PROVISIONED" : "ACTIVE",
        ["passwordHash"] = i == 0 ? "$2b$04$abcdefghijklmnopqrstuuqREtd3VJD2QVZbuFskFSLk6eRIrQoOS" : "",
    })]);

    [Fact]
    public async Task An_export_imports_into_another_tenant_and_exports_the_same_without_any_secret()
    {
        var source = await factory.CreateTenantAsync();
        var target = await factory.CreateTenantAsync();
        var role = await _kit.RoleAsync();
        // Application roles travel between tenants; a tenant role's full name names its tenant.
        var answer = await _kit.ImportAsync(source.Id, SourceCsv(role, 1050));
        Assert.Equal(1050, answer.Count("created"));
        var first = Path.Combine(_workDir, "first.csv");
        var second = Path.Combine(_workDir, "second.csv");

        var exported = await _kit.RunExportAsync("--tenant", source.Name, "--out", first);
        var reimport = await _kit.RunImportAsync(false, first, "--tenant", target.Name);
        var again = await _kit.RunExportAsync("--tenant", target.Name, "--out", second);

        Assert.Equal(0, exported.Code);
        Assert.Contains("Exported 1050 users of 1 tenant(s)", exported.Error, StringComparison.Ordinal);
        Assert.Contains("export: 100% 1,050 of 1,050 users", exported.Error, StringComparison.Ordinal);
        Assert.Equal(0, reimport.Code);
        Assert.Contains("1050 rows, 1050 created", reimport.Out, StringComparison.Ordinal);
        Assert.Equal(0, again.Code);
        var text = await File.ReadAllTextAsync(first);
        Assert.Equal(text, await File.ReadAllTextAsync(second));
        Assert.StartsWith(string.Join(',', Lanyard.Server.Features.Users.Import.ImportColumns.Exported) + "\n", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain("passwordHash", text, StringComparison.Ordinal);
        Assert.DoesNotContain("$2b$", text, StringComparison.Ordinal);
        Assert.DoesNotContain(source.Id, text, StringComparison.Ordinal);
        Assert.Contains("'=HYPERLINK", text, StringComparison.Ordinal);
        Assert.Contains("'@nick", text, StringComparison.Ordinal);
        Assert.Contains(",+4930123456,", text, StringComparison.Ordinal);

        var copy = (await _kit.UserAsync(target, "person0001@round.example"))!;
        Assert.Equal(("=HYPERLINK(\"http://evil.example\")", "Family\nwith a line break", "Person, \"1\"", "@nick"),
            (copy.GivenName, copy.FamilyName, copy.FullName, copy.Nickname));
        Assert.Equal(UserStatus.Provisioned, (await _kit.UserAsync(target, "person0003@round.example"))!.Status);
        Assert.Null((await _kit.UserAsync(target, "person0000@round.example"))!.PasswordHash);
        Assert.Equal([role], await _kit.RoleNamesAsync(target, copy.Id));
    }

    [Fact]
    public async Task Exporting_every_tenant_adds_a_tenant_name_column_that_an_import_refuses()
    {
        var one = await factory.CreateTenantAsync();
        var two = await factory.CreateTenantAsync();
        var (a, b) = (ImportKit.Email("all"), ImportKit.Email("all"));
        await _kit.ImportAsync(one.Id, ImportKit.Csv(new Dictionary<string, string> { ["email"] = a }));
        await _kit.ImportAsync(two.Id, ImportKit.Csv(new Dictionary<string, string> { ["email"] = b }));

        var all = await _kit.RunExportAsync("--all");
        var both = await _kit.RunExportAsync("--all", "--tenant", one.Name);

        Assert.Equal(0, all.Code);
        Assert.StartsWith("tenantName,email,", all.Out, StringComparison.Ordinal);
        Assert.Contains($"{one.Name},{a},", all.Out, StringComparison.Ordinal);
        Assert.Contains($"{two.Name},{b},", all.Out, StringComparison.Ordinal);
        Assert.Equal(2, both.Code);
        var file = Path.Combine(_workDir, "all.csv");
        await File.WriteAllTextAsync(file, all.Out);
        var refused = await _kit.RunImportAsync(false, file, "--tenant", one.Name);
        Assert.Equal(1, refused.Code);
        Assert.Contains("tenantName", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_user_list_api_pages_a_tenant_and_answers_another_tenants_token_with_404()
    {
        var tenant = await factory.CreateTenantAsync();
        var other = await factory.CreateTenantAsync();
        await _kit.ImportAsync(tenant.Id, ImportKit.Csv([.. Enumerable.Range(0, 5).Select(i => new Dictionary<string, string>
        {
            ["email"] = $"list{i}@page.example", ["givenName"] = "L" + i,
            ["passwordHash"] = "$2b$04$abcdefghijklmnopqrstuuqREtd3VJD2QVZbuFskFSLk6eRIrQoOS",
        })]));
        var admin = await _kit.AdminAsync();
        var roles = new RoleKit(factory);
        var (_, otherUser, _) = await roles.UserApiAsync(other, "user:read");

        using var page = await admin.GetAsync(new Uri($"/api/v1/tenants/{tenant.Id}/users?sort_by=email:desc&count=2&start_index=2&query=email sw \"LIST\"", UriKind.Relative));
        using var appWide = await admin.GetAsync(new Uri($"/api/v1/applications/{factory.Bootstrap.ApplicationId}/users?query=tenantId eq \"{tenant.Id}\"&count=0", UriKind.Relative));
        using var cross = await otherUser.GetAsync(new Uri($"/api/v1/tenants/{tenant.Id}/users", UriKind.Relative));
        using var ownAppWide = await otherUser.GetAsync(new Uri($"/api/v1/applications/{factory.Bootstrap.ApplicationId}/users", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var body = await RoleKit.BodyAsync(page);
        Assert.Equal((5, 2, 2), (body.GetProperty("totalResults").GetInt32(), body.GetProperty("startIndex").GetInt32(), body.GetProperty("itemsPerPage").GetInt32()));
        Assert.Equal(["list3@page.example", "list2@page.example"], body.GetProperty("items").EnumerateArray().Select(u => u.GetProperty("email").GetString()));
        var raw = body.GetRawText();
        Assert.DoesNotContain("$2b$", raw, StringComparison.Ordinal);
        Assert.True(body.GetProperty("items")[0].GetProperty("hasPassword").GetBoolean());
        Assert.Equal(5, (await RoleKit.BodyAsync(appWide)).GetProperty("totalResults").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, cross.StatusCode);
        var visible = (await RoleKit.BodyAsync(ownAppWide)).GetProperty("items").EnumerateArray().Select(u => u.GetProperty("tenantId").GetString()).Distinct();
        Assert.Equal([other.Id], visible);
    }
}

public sealed class ExportOnSqlite(SqliteLanyard factory) : ExportTests(factory), IClassFixture<SqliteLanyard>;

public sealed class ExportOnPostgres(PostgresLanyard factory) : ExportTests(factory), IClassFixture<PostgresLanyard>;
