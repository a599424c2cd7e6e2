using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Users.Import;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Users;

/// <summary>One line of an import's NDJSON answer.</summary>
internal sealed record ImportLine(JsonElement Json)
{
    public long Row => Json.GetProperty("row").GetInt64();

    public string Status => Json.GetProperty("status").GetString()!;

    public string? UserId => Json.TryGetProperty("userId", out var id) ? id.GetString() : null;

    /// <summary>The violation codes of one column of a failed row.</summary>
    public string[] Codes(string column) =>
        Json.TryGetProperty("violations", out var violations) && violations.TryGetProperty(column, out var list)
            ? [.. list.EnumerateArray().Select(v => v.GetProperty("code").GetString()!)]
            : [];
}

/// <summary>An import's whole answer: the row lines and the summary line.</summary>
internal sealed record ImportAnswer(IReadOnlyList<ImportLine> Rows, JsonElement Summary)
{
    public long Count(string name) => Summary.GetProperty(name).GetInt64();

    public ImportLine Row(long number) => Rows.Single(r => r.Row == number);
}

/// <summary>Helpers of the import and export tests: CSV building, the import API, reading users back from the data layer.</summary>
internal sealed class ImportKit(LanyardFactory factory)
{
    private HttpClient? _admin;

    public const string Header = "email,username,emailVerified,externalId,fullName,givenName,familyName,middleName,honorificPrefix,honorificSuffix," +
                                 "nickname,displayName,pictureUrl,gender,birthdate,phoneNumber,preferredLanguage,locale,timeZone,roles,passwordHash,status";

    public async Task<HttpClient> AdminAsync() => _admin ??= await factory.AdminApiAsync();

    public static string ImportPath(string tenantId) => $"/api/v1/tenants/{tenantId}/users/import";

    public static string Email(string prefix = "i") => $"{prefix}{Guid.NewGuid():N}@example.com";

    /// <summary>A CSV with <see cref="Header"/>; each row gives the columns it names, the rest stay empty.</summary>
    public static string Csv(params Dictionary<string, string>[] rows)
    {
        var columns = Header.Split(',');
        var text = new StringBuilder(Header).Append('\n');
        foreach (var row in rows)
        {
            text.AppendJoin(',', columns.Select(c => Quote(row.GetValueOrDefault(c) ?? ""))).Append('\n');
        }

        return text.ToString();
    }

    public static string Quote(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    public async Task<HttpResponseMessage> PostAsync(string tenantId, string body, string mediaType = "text/csv", HttpClient? api = null)
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return await (api ?? await AdminAsync()).PostAsync(new Uri(ImportPath(tenantId), UriKind.Relative), content);
    }

    /// <summary>Posts an import and reads its whole answer (expects 200).</summary>
    public async Task<ImportAnswer> ImportAsync(string tenantId, string body, string mediaType = "text/csv", HttpClient? api = null)
    {
        using var response = await PostAsync(tenantId, body, mediaType, api);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"import answered {(int)response.StatusCode}: {text}");
        Assert.StartsWith("application/x-ndjson", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        return Parse(text);
    }

    public static ImportAnswer Parse(string ndjson)
    {
        var lines = ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.True(lines.Count > 0 && lines[^1].TryGetProperty("summary", out _), "the answer ends with a summary line: " + ndjson);
        return new ImportAnswer([.. lines[..^1].Select(l => new ImportLine(l))], lines[^1].GetProperty("summary"));
    }

    public async Task<User?> UserAsync(Tenant tenant, string email)
    {
        await using var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id);
        var key = email.Trim().ToLowerInvariant();
        return await LanyardFactory.Db(scope).Users.AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedEmail == key);
    }

    public async Task<int> UserCountAsync(Tenant tenant)
    {
        await using var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id);
        return await LanyardFactory.Db(scope).Users.CountAsync();
    }

    public async Task<string[]> RoleNamesAsync(Tenant tenant, string userId)
    {
        await using var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id);
        var db = LanyardFactory.Db(scope);
        return [.. (await db.UserRoles.Where(ur => ur.UserId == userId).Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name).ToListAsync()).Order(StringComparer.Ordinal)];
    }

    /// <summary>Creates a role of the application (or of <paramref name="tenant"/>) directly and returns its full name.</summary>
    public async Task<string> RoleAsync(Tenant? tenant = null)
    {
        await factory.StartAsync();
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId, tenant?.Id);
        var db = LanyardFactory.Db(scope);
        var name = $"{(tenant is null ? "app:yourapp" : "tnt:" + tenant.Name)}:r{Guid.NewGuid():N}"[..40];
        db.Roles.Add(new Lanyard.Server.Features.Roles.Role
        {
            Id = Lanyard.Server.Common.LanyardId.New(factory.Time), Name = name, DisplayName = "Imported role", TenantId = tenant?.Id,
        });
        await db.SaveChangesAsync();
        return name;
    }

    /// <summary>Runs the import verb in process, as the executable does, with the console captured.</summary>
    public async Task<(int Code, string Out, string Error)> RunImportAsync(bool terminal, params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = await factory.Services.GetRequiredService<UserImportCommand>()
            .RunAsync(["import", .. args], new CliConsole(output, errors, terminal), CancellationToken.None);
        return (code, output.ToString(), errors.ToString());
    }

    /// <summary>Runs the export verb in process, with the console captured.</summary>
    public async Task<(int Code, string Out, string Error)> RunExportAsync(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = await factory.Services.GetRequiredService<Lanyard.Server.Features.Users.Export.UserExportCommand>()
            .RunAsync(["export", "users", .. args], new CliConsole(output, errors, ErrorIsTerminal: false), CancellationToken.None);
        return (code, output.ToString(), errors.ToString());
    }
}
