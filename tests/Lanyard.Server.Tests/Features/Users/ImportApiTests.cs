using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Users.Import;
using Lanyard.Server.Tests.Features.Roles;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Users;

/// <summary><c>POST /api/v1/tenants/{tenantId}/users/import</c>: formats, upsert semantics, per-row failures, streaming, authorization.</summary>
public abstract class ImportApiTests(LanyardFactory factory)
{
    private readonly ImportKit _kit = new(factory);

    [Fact]
    public async Task A_csv_row_with_every_column_creates_an_active_user_with_its_roles()
    {
        var tenant = await factory.CreateTenantAsync();
        var appRole = await _kit.RoleAsync();
        var tenantRole = await _kit.RoleAsync(tenant);
        var email = ImportKit.Email();
        var csv = ImportKit.Csv(new Dictionary<string, string>
        {
            ["email"] = email.ToUpperInvariant(), ["username"] = "Ann.Smith", ["emailVerified"] = "TRUE", ["externalId"] = "legacy-42",
            ["fullName"] = "Ann Smith, PhD", ["givenName"] = "Ann", ["familyName"] = "Smith", ["middleName"] = "Q", ["honorificPrefix"] = "Dr.",
            ["honorificSuffix"] = "PhD", ["nickname"] = "annie", ["displayName"] = "Ann \"the\" Smith", ["pictureUrl"] = "https://img.example/ann.png",
            ["gender"] = "female", ["birthdate"] = "1990-02-03", ["phoneNumber"] = "+14155550100", ["preferredLanguage"] = "en-US",
            ["locale"] = "en-GB", ["timeZone"] = "Europe/London", ["roles"] = $"{appRole}, {tenantRole}",
        });

        var answer = await _kit.ImportAsync(tenant.Id, csv);

        var line = Assert.Single(answer.Rows);
        Assert.Equal((1, "created"), (line.Row, line.Status));
        Assert.Equal((1, 1, 0, 0, 0), (answer.Count("rows"), answer.Count("created"), answer.Count("updated"), answer.Count("unchanged"), answer.Count("failed")));
        var user = (await _kit.UserAsync(tenant, email))!;
        Assert.Equal(line.UserId, user.Id);
        Assert.Equal(UserStatus.Active, user.Status);
        Assert.NotNull(user.ActivatedAt);
        Assert.Equal((email.ToUpperInvariant(), "Ann.Smith", "ann.smith", true, "legacy-42"), (user.Email, user.Username, user.NormalizedUsername, user.EmailVerified, user.ExternalId));
        Assert.Equal(("Ann Smith, PhD", "Ann", "Smith", "Q", "Dr.", "PhD", "annie", "Ann \"the\" Smith"),
            (user.FullName, user.GivenName, user.FamilyName, user.MiddleName, user.HonorificPrefix, user.HonorificSuffix, user.Nickname, user.DisplayName));
        Assert.Equal(("https://img.example/ann.png", "female", new DateOnly(1990, 2, 3), "+14155550100", "en-US", "en-GB", "Europe/London"),
            (user.PictureUrl, user.Gender, user.Birthdate, user.PhoneNumber, user.PreferredLanguage, user.Locale, user.TimeZone));
        Assert.Null(user.PasswordHash);
        Assert.Equal(new[] { appRole, tenantRole }.Order(StringComparer.Ordinal), await _kit.RoleNamesAsync(tenant, user.Id));
    }

    [Fact]
    public async Task A_row_that_deactivates_a_signed_in_user_ends_its_sessions_and_revokes_its_grants()
    {
        var tenant = await factory.CreateTenantAsync();
        var email = ImportKit.Email();
        var user = await factory.CreateUserAsync(tenant, email);
        var flow = new OAuthFlow(factory);
        var (tokens, _) = await flow.LoginAsync(flow.DemoClient, tenant.Name, email);

        var answer = await _kit.ImportAsync(tenant.Id, ImportKit.Csv(new Dictionary<string, string> { ["email"] = email, ["status"] = "INACTIVE" }));

        Assert.Equal((1, "updated"), (Assert.Single(answer.Rows).Row, answer.Rows[0].Status));
        await using (var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id))
        {
            var db = LanyardFactory.Db(scope);
            Assert.True(await db.AuthSessions.AnyAsync(s => s.UserId == user.Id), "the login made a session");
            Assert.False(await db.AuthSessions.AnyAsync(s => s.UserId == user.Id && s.RevokedAt == null));
            var grants = await db.Grants.Where(g => g.UserId == user.Id).Select(g => new { g.RevokedAt, g.RevokedReason }).ToListAsync();
            Assert.NotEmpty(grants);
            Assert.All(grants, g => Assert.Equal("user_deactivated", g.RevokedReason));
        }

        using var refresh = await flow.RefreshAsync(flow.DemoClient, tokens.RefreshToken!);
        Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
    }

    [Fact]
    public async Task Importing_the_same_file_again_changes_nothing_and_says_unchanged()
    {
        var tenant = await factory.CreateTenantAsync();
        var role = await _kit.RoleAsync();
        var rows = Enumerable.Range(0, 3).Select(i => new Dictionary<string, string>
        {
            ["email"] = ImportKit.Email(), ["givenName"] = "G" + i, ["roles"] = role, ["status"] = i == 2 ? "inactive" : "",
            ["passwordHash"] = i == 0 ? "$2b$04$abcdefghijklmnopqrstuuqREtd3VJD2QVZbuFskFSLk6eRIrQoOS" : "",
        }).ToArray();
        var csv = ImportKit.Csv(rows);
        var first = await _kit.ImportAsync(tenant.Id, csv);
        var before = await _kit.UserAsync(tenant, rows[0]["email"]);

        var second = await _kit.ImportAsync(tenant.Id, csv);

        Assert.All(first.Rows, r => Assert.Equal("created", r.Status));
        Assert.All(second.Rows, r => Assert.Equal("unchanged", r.Status));
        Assert.Equal(first.Rows.Select(r => r.UserId), second.Rows.Select(r => r.UserId));
        Assert.Equal(3, second.Count("unchanged"));
        var after = await _kit.UserAsync(tenant, rows[0]["email"]);
        Assert.Equal((before!.Version, before.UpdatedAt, before.PasswordHash), (after!.Version, after.UpdatedAt, after.PasswordHash));
        Assert.Equal(3, await _kit.UserCountAsync(tenant));
        Assert.Equal(UserStatus.Inactive, (await _kit.UserAsync(tenant, rows[2]["email"]))!.Status);
    }

    [Fact]
    public async Task A_changed_row_updates_only_what_it_gives_adds_roles_and_never_replaces_a_password()
    {
        var tenant = await factory.CreateTenantAsync();
        var email = ImportKit.Email();
        var existing = await factory.CreateUserAsync(tenant, email);
        var role = await _kit.RoleAsync();
        var csv = ImportKit.Csv(new Dictionary<string, string>
        {
            ["email"] = email, ["givenName"] = "Renamed", ["roles"] = role,
            ["passwordHash"] = "$2b$04$abcdefghijklmnopqrstuuqREtd3VJD2QVZbuFskFSLk6eRIrQoOS",
        });

        var answer = await _kit.ImportAsync(tenant.Id, csv);

        Assert.Equal(("updated", existing.Id), (answer.Row(1).Status, answer.Row(1).UserId));
        var user = (await _kit.UserAsync(tenant, email))!;
        Assert.Equal("Renamed", user.GivenName);
        Assert.Equal(existing.PasswordHash, user.PasswordHash);
        Assert.Equal(existing.FamilyName, user.FamilyName);
        Assert.Equal([role], await _kit.RoleNamesAsync(tenant, user.Id));
        Assert.Equal(existing.Version + 1, user.Version);
    }

    [Fact]
    public async Task Bad_rows_fail_alone_with_their_violations_and_good_rows_are_written()
    {
        var tenant = await factory.CreateTenantAsync();
        var holder = await factory.CreateUserAsync(tenant, ImportKit.Email());
        await using (var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id))
        {
            await LanyardFactory.Db(scope).Users.Where(u => u.Id == holder.Id)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.Username, "taken").SetProperty(x => x.NormalizedUsername, "taken"));
        }

        var good = ImportKit.Email();
        var unknownRole = ImportKit.Email();
        var csv = ImportKit.Csv(
            new() { ["email"] = "not-an-email" },
            new() { ["email"] = good, ["givenName"] = "Good" },
            new() { ["email"] = unknownRole, ["roles"] = "app:yourapp:no-such-role" },
            new() { ["email"] = ImportKit.Email(), ["username"] = "TAKEN" },
            new() { ["email"] = ImportKit.Email(), ["status"] = "PENDING_SIGNUP_ACTIVATION", ["emailVerified"] = "yes" },
            new() { ["email"] = ImportKit.Email(), ["phoneNumber"] = "555-1234", ["birthdate"] = "2999-01-01", ["pictureUrl"] = "javascript:alert(1)" },
            new() { ["email"] = ImportKit.Email(), ["passwordHash"] = "$1$md5crypt$abcdefghijklmnopqrstuv" },
            new() { ["email"] = "" });

        var answer = await _kit.ImportAsync(tenant.Id, csv);

        Assert.Equal(["failed", "created", "failed", "failed", "failed", "failed", "failed", "failed"], answer.Rows.Select(r => r.Status));
        Assert.Equal(["invalid_format"], answer.Row(1).Codes("email"));
        Assert.Equal(["not_found"], answer.Row(3).Codes("roles"));
        Assert.Equal(["not_unique"], answer.Row(4).Codes("username"));
        Assert.Equal(["invalid_value"], answer.Row(5).Codes("status"));
        Assert.Equal(["invalid_value"], answer.Row(5).Codes("emailVerified"));
        Assert.Equal(["invalid_format"], answer.Row(6).Codes("phoneNumber"));
        Assert.Equal(["invalid_value"], answer.Row(6).Codes("birthdate"));
        Assert.Equal(["invalid_format"], answer.Row(6).Codes("pictureUrl"));
        Assert.Equal(["invalid_format"], answer.Row(7).Codes("passwordHash"));
        Assert.Equal(["required"], answer.Row(8).Codes("email"));
        Assert.Equal((8, 1, 7), (answer.Count("rows"), answer.Count("created"), answer.Count("failed")));
        Assert.NotNull(await _kit.UserAsync(tenant, good));
        Assert.Null(await _kit.UserAsync(tenant, unknownRole)); // nothing half-written: no user without its roles
        Assert.Equal(2, await _kit.UserCountAsync(tenant));
    }

    [Fact]
    public async Task The_same_email_twice_in_one_file_is_imported_as_if_row_by_row()
    {
        var tenant = await factory.CreateTenantAsync();
        var email = ImportKit.Email();
        var csv = ImportKit.Csv(new() { ["email"] = email, ["givenName"] = "First" }, new() { ["email"] = email.ToUpperInvariant(), ["familyName"] = "Second" });

        var answer = await _kit.ImportAsync(tenant.Id, csv);

        Assert.Equal(["created", "updated"], answer.Rows.Select(r => r.Status));
        var user = (await _kit.UserAsync(tenant, email))!;
        Assert.Equal(("First", "Second"), (user.GivenName, user.FamilyName));
    }

    [Fact]
    public async Task Ndjson_lines_import_like_csv_rows_and_a_broken_line_fails_alone()
    {
        var tenant = await factory.CreateTenantAsync();
        var role = await _kit.RoleAsync();
        var (a, b) = (ImportKit.Email(), ImportKit.Email());
        string[] lines =
        [
            $"{{\"email\":\"{a}\",\"emailVerified\":true,\"roles\":[\"{role}\"],\"givenName\":\"Nd\",\"id\":\"read-only\",\"metadata\":{{\"version\":3}}}}",
            $"{{\"email\":\"{b}\", \"givenName\": ",
            "   ",
            $"{{\"email\":\"{ImportKit.Email()}\",\"favouriteColour\":\"blue\"}}",
            "[\"not\",\"an\",\"object\"]",
            $"{{\"email\":\"{ImportKit.Email()}\",\"givenName\":42}}",
        ];
        var body = string.Join('\n', lines);

        var answer = await _kit.ImportAsync(tenant.Id, body, "application/x-ndjson");

        Assert.Equal([1L, 2, 4, 5, 6], answer.Rows.Select(r => r.Row));
        Assert.Equal(["created", "failed", "failed", "failed", "failed"], answer.Rows.Select(r => r.Status));
        Assert.Equal(["invalid_format"], answer.Row(2).Codes("row"));
        Assert.Equal(["invalid_value"], answer.Row(4).Codes("favouriteColour"));
        Assert.Equal(["invalid_format"], answer.Row(5).Codes("row"));
        Assert.Equal(["invalid_format"], answer.Row(6).Codes("givenName"));
        var user = (await _kit.UserAsync(tenant, a))!;
        Assert.True(user.EmailVerified);
        Assert.Equal([role], await _kit.RoleNamesAsync(tenant, user.Id));
    }

    [Fact]
    public async Task An_unknown_csv_column_refuses_the_file_before_any_row_is_written()
    {
        var tenant = await factory.CreateTenantAsync();

        using var response = await _kit.PostAsync(tenant.Id, $"email,givenNmae\n{ImportKit.Email()},Typo\n");
        using var noEmail = await _kit.PostAsync(tenant.Id, "givenName\nAnn\n");
        using var fromAll = await _kit.PostAsync(tenant.Id, $"tenantName,email\nx,{ImportKit.Email()}\n");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", await RoleKit.ErrorCodeAsync(response));
        Assert.Contains("givenNmae", (await RoleKit.BodyAsync(response)).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noEmail.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, fromAll.StatusCode);
        Assert.Equal(0, await _kit.UserCountAsync(tenant));
    }

    [Fact]
    public async Task Another_media_type_is_refused_with_415()
    {
        var tenant = await factory.CreateTenantAsync();

        using var response = await _kit.PostAsync(tenant.Id, "{\"email\":\"a@example.com\"}", "application/json");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("unsupported_media_type", await RoleKit.ErrorCodeAsync(response));
    }

    [Fact]
    public async Task A_quote_that_never_closes_stops_the_import_after_the_rows_before_it()
    {
        var tenant = await factory.CreateTenantAsync();
        var good = ImportKit.Email();
        var body = $"email,givenName\n{good},Fine\n\"{ImportKit.Email()},{new string('x', 3 * ImportInputStream.MaxBytesPerRow)}\n";

        var answer = await _kit.ImportAsync(tenant.Id, body);

        Assert.Equal("created", answer.Row(1).Status);
        Assert.Contains("unclosed quote", answer.Summary.GetProperty("aborted").GetString(), StringComparison.Ordinal);
        Assert.NotNull(await _kit.UserAsync(tenant, good));
    }

    [Fact]
    public async Task An_ndjson_line_longer_than_the_bound_fails_alone_and_the_next_line_is_imported()
    {
        var tenant = await factory.CreateTenantAsync();
        var after = ImportKit.Email();
        var body = $"{{\"email\":\"{ImportKit.Email()}\",\"nickname\":\"{new string('n', 3 * ImportInputStream.MaxBytesPerRow)}\"}}\n" +
                   $"{{\"email\":\"{after}\"}}\n";

        var answer = await _kit.ImportAsync(tenant.Id, body, "application/x-ndjson");

        Assert.Equal(["too_long"], answer.Row(1).Codes("row"));
        Assert.Equal("created", answer.Row(2).Status);
        Assert.False(answer.Summary.TryGetProperty("aborted", out _));
        Assert.Equal(1, await _kit.UserCountAsync(tenant));
    }

    [Fact]
    public async Task The_answer_streams_each_batch_as_it_commits_while_the_body_is_still_being_sent()
    {
        var tenant = await factory.CreateTenantAsync();
        var pipe = new Pipe();
        using var content = new StreamContent(pipe.Reader.AsStream());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        using var request = new HttpRequestMessage(HttpMethod.Post, ImportKit.ImportPath(tenant.Id)) { Content = content };
        var api = await _kit.AdminAsync();

        async Task SendAsync(int from, int count)
        {
            var lines = new StringBuilder();
            for (var i = from; i < from + count; i++)
            {
                lines.Append("{\"email\":\"stream").Append(i).Append('-').Append(tenant.Id).Append("@example.com\"}\n");
            }

            await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(lines.ToString()));
        }

        await SendAsync(0, UserImporter.BatchSize + 10);
        var sending = api.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var response = await sending.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var answer = new StreamReader(await response.Content.ReadAsStreamAsync());

        // The first batch is committed and answered while the request body is still open.
        var first = await answer.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("\"row\":1,\"status\":\"created\"", first, StringComparison.Ordinal);
        Assert.Equal(UserImporter.BatchSize, await _kit.UserCountAsync(tenant));

        await SendAsync(UserImporter.BatchSize + 10, 90);
        await pipe.Writer.CompleteAsync();
        var rest = await answer.ReadToEndAsync();
        var parsed = ImportKit.Parse(first + "\n" + rest);
        Assert.Equal(UserImporter.BatchSize + 100, parsed.Count("created"));
        Assert.Equal(UserImporter.BatchSize + 100, await _kit.UserCountAsync(tenant));
    }

    [Fact]
    public async Task A_tenant_token_imports_into_its_own_tenant_and_gets_404_for_another()
    {
        var own = await factory.CreateTenantAsync();
        var other = await factory.CreateTenantAsync();
        var roles = new RoleKit(factory);
        var (_, api, _) = await roles.UserApiAsync(own, UserImportEndpoint.Permission);
        var email = ImportKit.Email();
        var csv = ImportKit.Csv(new Dictionary<string, string> { ["email"] = email });

        using var cross = await _kit.PostAsync(other.Id, csv, api: api);
        using var unknown = await _kit.PostAsync("aaaaaaaaaaaaaaaaaaaaaaaaaa", csv);
        var mine = await _kit.ImportAsync(own.Id, csv, api: api);

        Assert.Equal(HttpStatusCode.NotFound, cross.StatusCode);
        Assert.Equal("tenant_not_found", await RoleKit.ErrorCodeAsync(cross));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(0, await _kit.UserCountAsync(other));
        Assert.Equal("created", mine.Row(1).Status);
        Assert.NotNull(await _kit.UserAsync(own, email));
    }

    [Fact]
    public async Task Without_the_import_permission_the_answer_is_403_and_without_a_token_401()
    {
        var tenant = await factory.CreateTenantAsync();
        var roles = new RoleKit(factory);
        var (_, reader, _) = await roles.UserApiAsync(tenant, "user:read");
        var csv = ImportKit.Csv(new Dictionary<string, string> { ["email"] = ImportKit.Email() });

        using var forbidden = await _kit.PostAsync(tenant.Id, csv, api: reader);
        using var anonymous = await _kit.PostAsync(tenant.Id, csv, api: roles.Bearer(null));

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(1, await _kit.UserCountAsync(tenant));
    }
}

public sealed class ImportApiOnSqlite(SqliteLanyard factory) : ImportApiTests(factory), IClassFixture<SqliteLanyard>;

public sealed class ImportApiOnPostgres(PostgresLanyard factory) : ImportApiTests(factory), IClassFixture<PostgresLanyard>;
