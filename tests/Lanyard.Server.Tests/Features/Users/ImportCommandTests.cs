using System.Globalization;
using System.Text;
using Lanyard.Server.Features.Users;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Users;

/// <summary>
/// <c>lanyard import FILE --tenant NAME</c>: the real executable against the test server's database for the
/// 10,000-user file, and the command in process for its messages, progress and exit codes.
/// </summary>
public abstract class ImportCommandTests(LanyardFactory factory) : IDisposable
{
    private static readonly TimeSpan Exit = TimeSpan.FromMinutes(4);
    private readonly ImportKit _kit = new(factory);
    private readonly string _workDir = Directory.CreateTempSubdirectory("lanyard-import-").FullName;

    public void Dispose()
    {
        Directory.Delete(_workDir, recursive: true);
        GC.SuppressFinalize(this);
    }

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(_workDir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The executable, configured like the test server: its data directory and database.</summary>
    private ServerProcess Run(params string[] args) =>
        ServerProcess.Start(_workDir, new Dictionary<string, string>
        {
            ["Lanyard__DataDirectory"] = factory.DataDirectory,
            ["Lanyard__Database__Provider"] = factory.Database.ToString(),
            ["Lanyard__Database__ConnectionString"] = factory.ConnectionString,
            ["Lanyard__Application__VanityDomain"] = LanyardFactory.ApplicationHost,
            ["Logging__LogLevel__Default"] = "Warning",
        }, args);

    [Fact]
    public async Task Ten_thousand_users_import_through_the_executable_with_progress_and_again_unchanged()
    {
        await factory.StartAsync();
        var tenant = await factory.CreateTenantAsync();
        var role = await _kit.RoleAsync();
        var csv = new StringBuilder(ImportKit.Header).Append('\n');
        for (var i = 0; i < 10_000; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"user{i}@bulk.example,,{(i % 2 == 0 ? "true" : "false")},ext-{i},,Given{i},Family{i},,,,,,,,,,,,,{(i % 10 == 0 ? role : "")},,\n");
        }

        var path = WriteFile("users.csv", csv.ToString());

        await using (var first = Run("import", path, "--tenant", tenant.Name))
        {
            Assert.True(0 == await first.WaitForExitAsync(Exit), first.StandardError);
            Assert.Contains("10000 rows, 10000 created, 0 updated, 0 unchanged, 0 failed", first.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("import: 50% ", first.StandardError, StringComparison.Ordinal);
            Assert.Contains("import: 100% 10,000 rows, 0 failed", first.StandardError, StringComparison.Ordinal);
        }

        Assert.Equal(10_000, await _kit.UserCountAsync(tenant));
        var sample = (await _kit.UserAsync(tenant, "user4230@bulk.example"))!;
        Assert.Equal(("Given4230", "ext-4230", true, UserStatus.Active), (sample.GivenName, sample.ExternalId, sample.EmailVerified, sample.Status));
        Assert.Equal([role], await _kit.RoleNamesAsync(tenant, sample.Id));

        await using var again = Run("import", path, "--tenant", tenant.Name);
        Assert.Equal(0, await again.WaitForExitAsync(Exit));
        Assert.Contains("10000 rows, 0 created, 0 updated, 10000 unchanged, 0 failed", again.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_rows_are_listed_and_the_exit_code_is_1()
    {
        await factory.StartAsync();
        var tenant = await factory.CreateTenantAsync();
        var path = WriteFile("mixed.csv", $"email,givenName\n{ImportKit.Email()},Ok\nnot-an-email,Bad\n");
        var report = Path.Combine(_workDir, "report.ndjson");

        var (code, output, errors) = await _kit.RunImportAsync(false, path, "--tenant", tenant.Name, "--report", report);

        Assert.Equal(1, code);
        Assert.Contains("2 rows, 1 created, 0 updated, 0 unchanged, 1 failed", output, StringComparison.Ordinal);
        Assert.Contains("row 2 failed: email invalid_format", errors, StringComparison.Ordinal);
        var lines = ImportKit.Parse(await File.ReadAllTextAsync(report));
        Assert.Equal(["created", "failed"], lines.Rows.Select(r => r.Status));
        Assert.Equal(1, await _kit.UserCountAsync(tenant));
    }

    [Fact]
    public async Task On_a_terminal_progress_is_one_bar_redrawn_in_place()
    {
        await factory.StartAsync();
        var tenant = await factory.CreateTenantAsync();
        var path = WriteFile("bar.ndjson", string.Concat(Enumerable.Range(0, 1200).Select(i => $"{{\"email\":\"bar{i}@example.com\"}}\n")));

        var (code, _, errors) = await _kit.RunImportAsync(true, path, "--tenant", tenant.Name);

        Assert.Equal(0, code);
        Assert.Contains("\rimport [##############################] 100% 1,200 rows, 0 failed", errors, StringComparison.Ordinal);
        Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries)); // the bar never scrolls
        Assert.Equal(1200, await _kit.UserCountAsync(tenant));
    }

    [Fact]
    public async Task A_usage_error_an_unknown_tenant_or_a_refused_header_write_nothing()
    {
        await factory.StartAsync();
        var tenant = await factory.CreateTenantAsync();
        var path = WriteFile("typo.csv", $"email,surname\n{ImportKit.Email()},Typo\n");

        var noTenant = await _kit.RunImportAsync(false, path);
        var unknown = await _kit.RunImportAsync(false, path, "--tenant", "nosuchtenant");
        var missing = await _kit.RunImportAsync(false, Path.Combine(_workDir, "missing.csv"), "--tenant", tenant.Name);
        var refused = await _kit.RunImportAsync(false, path, "--tenant", tenant.Name);

        Assert.Equal(2, noTenant.Code);
        Assert.Contains("Usage: lanyard import FILE --tenant NAME", noTenant.Error, StringComparison.Ordinal);
        Assert.Equal((2, true), (unknown.Code, unknown.Error.Contains("No tenant named 'nosuchtenant'", StringComparison.Ordinal)));
        Assert.Equal((2, true), (missing.Code, missing.Error.Contains("No such file", StringComparison.Ordinal)));
        Assert.Equal((1, true), (refused.Code, refused.Error.Contains("Unknown column(s): surname", StringComparison.Ordinal)));
        Assert.Equal(0, await _kit.UserCountAsync(tenant));
    }
}

public sealed class ImportCommandOnSqlite(SqliteLanyard factory) : ImportCommandTests(factory), IClassFixture<SqliteLanyard>;

public sealed class ImportCommandOnPostgres(PostgresLanyard factory) : ImportCommandTests(factory), IClassFixture<PostgresLanyard>;
