using System.Net;
using System.Text.Json;
using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.Tenants.Api;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Tenants.Api;

/// <summary>
/// GET /api/v1/applications/{applicationId}/tenants through EF on the real providers: the envelope and item
/// shape, paging, sorting, every filter operator, projection, and each refusal.
/// </summary>
public abstract class TenantListApiTests(LanyardFactory factory)
{
    private readonly TenantListKit _kit = new(factory);

    [Fact]
    public async Task A_tenant_is_listed_in_wristbands_shape()
    {
        var seeded = await _kit.SeedAsync();
        using var response = await _kit.ListAsync(TenantListKit.Query(seeded, $"name eq \"{seeded.Prefix}alpha\""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await TenantListKit.BodyAsync(response);
        Assert.Equal(["totalResults", "startIndex", "itemsPerPage", "items"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, body.GetProperty("totalResults").GetInt64());
        Assert.Equal(1, body.GetProperty("startIndex").GetInt32());
        Assert.Equal(1, body.GetProperty("itemsPerPage").GetInt32());

        var item = Assert.Single(body.GetProperty("items").EnumerateArray());
        var alpha = seeded.Tenants["alpha"];
        Assert.Equal(
            ["id", "applicationId", "name", "displayName", "description", "logoUrl", "status", "type", "signupEnabled", "vanityDomain", "publicMetadata", "metadata"],
            item.EnumerateObject().Select(p => p.Name));
        Assert.Equal(alpha.Id, item.GetProperty("id").GetString());
        Assert.Equal(_kit.ApplicationId, item.GetProperty("applicationId").GetString());
        Assert.Equal(seeded.Prefix + "alpha", item.GetProperty("name").GetString());
        Assert.Equal("Alpha Corp", item.GetProperty("displayName").GetString());
        Assert.Equal("about Alpha Corp", item.GetProperty("description").GetString());
        Assert.Equal(JsonValueKind.Null, item.GetProperty("logoUrl").ValueKind);
        Assert.Equal("ACTIVE", item.GetProperty("status").GetString());
        Assert.Equal("STANDARD", item.GetProperty("type").GetString());
        Assert.True(item.GetProperty("signupEnabled").GetBoolean());
        Assert.Equal(LanyardFactory.TenantHost(seeded.Prefix + "alpha"), Host(item.GetProperty("vanityDomain").GetString()!));
        Assert.Equal("gold", item.GetProperty("publicMetadata").GetProperty("plan").GetString());
        Assert.Equal(5, item.GetProperty("publicMetadata").GetProperty("seats").GetInt32());
        var metadata = item.GetProperty("metadata");
        Assert.True(metadata.GetProperty("version").GetInt64() >= 1);
        Assert.Equal(TenantListKit.T0, metadata.GetProperty("creationTime").GetDateTimeOffset());
        Assert.Equal(TenantListKit.T0, metadata.GetProperty("lastModifiedTime").GetDateTimeOffset());

        using var beta = await _kit.ListAsync(TenantListKit.Query(seeded, "displayName eq \"Beta Inc\""));
        var betaItem = Assert.Single((await TenantListKit.BodyAsync(beta)).GetProperty("items").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, betaItem.GetProperty("publicMetadata").ValueKind);
        Assert.Equal("INACTIVE", betaItem.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Pages_are_cut_by_start_index_and_count()
    {
        var seeded = await _kit.SeedAsync();
        var query = TenantListKit.Query(seeded) + "&sort_by=name";

        Assert.Equal(["alpha", "alpine"], await NamesAsync(seeded, query + "&start_index=1&count=2"));
        Assert.Equal(["beta", "delta"], await NamesAsync(seeded, query + "&start_index=3&count=2"));
        Assert.Equal(["alpine"], await NamesAsync(seeded, query + "&startIndex=2&count=1"));
        Assert.Equal(["alpha", "alpine", "beta", "delta", "gamma"], await NamesAsync(seeded, query));

        using var last = await _kit.ListAsync(query + "&start_index=5&count=2");
        var body = await TenantListKit.BodyAsync(last);
        Assert.Equal(5, body.GetProperty("totalResults").GetInt64());
        Assert.Equal(5, body.GetProperty("startIndex").GetInt32());
        Assert.Equal(1, body.GetProperty("itemsPerPage").GetInt32());
        Assert.Equal("gamma", Assert.Single(body.GetProperty("items").EnumerateArray()).GetProperty("name").GetString()![seeded.Prefix.Length..]);

        using var beyond = await _kit.ListAsync(query + "&start_index=6&count=2");
        body = await TenantListKit.BodyAsync(beyond);
        Assert.Equal(5, body.GetProperty("totalResults").GetInt64());
        Assert.Equal(0, body.GetProperty("itemsPerPage").GetInt32());
        Assert.Empty(body.GetProperty("items").EnumerateArray());

        using var totalOnly = await _kit.ListAsync(TenantListKit.Query(seeded, "status eq \"ACTIVE\"") + "&count=0");
        Assert.Equal(HttpStatusCode.OK, totalOnly.StatusCode);
        body = await TenantListKit.BodyAsync(totalOnly);
        Assert.Equal(3, body.GetProperty("totalResults").GetInt64());
        Assert.Equal(0, body.GetProperty("itemsPerPage").GetInt32());
        Assert.Empty(body.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Sorting_goes_both_ways_on_each_sortable_attribute()
    {
        var seeded = await _kit.SeedAsync();
        var query = TenantListKit.Query(seeded);
        Assert.Equal(["alpha", "alpine", "beta", "delta", "gamma"], await NamesAsync(seeded, query + "&sort_by=name:asc"));
        Assert.Equal(["gamma", "delta", "beta", "alpine", "alpha"], await NamesAsync(seeded, query + "&sort_by=NAME:DESC"));
        Assert.Equal(["alpha", "alpine", "beta", "delta", "gamma"], await NamesAsync(seeded, query + "&sort_by=displayName"));
        Assert.Equal(["gamma", "delta", "beta", "alpine", "alpha"], await NamesAsync(seeded, query + "&sort_by=displayname:desc"));
        Assert.Equal(["alpha", "beta", "gamma", "delta", "alpine"], await NamesAsync(seeded, query + "&sort_by=creationTime"));
        Assert.Equal(["alpine", "delta", "gamma", "beta", "alpha"], await NamesAsync(seeded, query + "&sort_by=creationTime:desc"));
        Assert.Equal(["alpine", "delta", "gamma", "beta", "alpha"], await NamesAsync(seeded, query + "&sortBy=creationTime:desc,name"));
    }

    [Fact]
    public async Task Every_operator_filters_in_the_database()
    {
        var seeded = await _kit.SeedAsync();
        var p = seeded.Prefix;
        var upper = p.ToUpperInvariant();
        (string Query, string[] Expected)[] cases =
        [
            ($"name eq \"{upper}ALPHA\"", ["alpha"]),
            ($"NAME eq \"{p}alpine\"", ["alpine"]),
            ($"name ne \"{p}alpha\"", ["alpine", "beta", "delta", "gamma"]),
            ($"name sw \"{upper}AL\"", ["alpha", "alpine"]),
            ($"name in (\"{p}beta\", \"{upper}GAMMA\", \"nobody\")", ["beta", "gamma"]),
            ($"name nin (\"{p}beta\", \"{p}gamma\")", ["alpha", "alpine", "delta"]),
            ($"domainName eq \"{p}delta\"", ["delta"]),
            ("displayName eq \"gamma\"", ["gamma"]),
            ("displayName eq \"Gamma\"", []),
            ("displayName ne \"Delta\"", ["alpha", "alpine", "beta", "gamma"]),
            ("displayName sw \"Al\"", ["alpha", "alpine"]),
            ("displayName sw \"al\"", []),
            ("displayName sw \"\"", ["alpha", "alpine", "beta", "delta", "gamma"]),
            ("displayName sw \"Alpha%\"", []),
            ("displayName sw \"Alp_a\"", []),
            ("displayName in (\"Beta Inc\", \"Delta\")", ["beta", "delta"]),
            ("displayName nin (\"Beta Inc\", \"Delta\")", ["alpha", "alpine", "gamma"]),
            ("status eq \"ACTIVE\"", ["alpha", "alpine", "gamma"]),
            ("status eq \"inactive\"", ["beta"]),
            ("status ne \"ACTIVE\"", ["beta", "delta"]),
            ("status in (\"INACTIVE\", \"DELETE_IN_PROGRESS\")", ["beta", "delta"]),
            ("status nin (\"ACTIVE\", \"INACTIVE\")", ["delta"]),
            ("type eq \"STANDARD\"", ["alpha", "alpine", "beta", "delta", "gamma"]),
            ("signupEnabled eq true", ["alpha", "alpine", "delta"]),
            ("signupEnabled eq false", ["beta", "gamma"]),
            ("signupEnabled ne true", ["beta", "gamma"]),
            ("creationTime lt \"2024-06-01T08:02:00Z\"", ["alpha", "beta"]),
            ("creationTime le \"2024-06-01T08:02:00Z\"", ["alpha", "beta", "gamma"]),
            ("creationTime gt \"2024-06-01T08:02:00Z\"", ["alpine", "delta"]),
            ("creationTime ge \"2024-06-01T10:02:00+02:00\"", ["alpine", "delta", "gamma"]),
            ("creationTime eq \"2024-06-01T08:00:00Z\"", ["alpha"]),
            ("creationTime ne \"2024-06-01T08:00:00Z\"", ["alpine", "beta", "delta", "gamma"]),
            ($"id eq \"{seeded.Tenants["beta"].Id}\"", ["beta"]),
            ("status eq \"ACTIVE\" and signupEnabled eq true or displayName eq \"Delta\"", ["alpha", "alpine", "delta"]),
            ("status eq \"ACTIVE\" and (signupEnabled eq false or displayName sw \"Alpi\")", ["alpine", "gamma"]),
            ("(status eq \"INACTIVE\" or (status eq \"ACTIVE\" and creationTime ge \"2024-06-01T08:02:00Z\")) and signupEnabled eq false", ["beta", "gamma"]),
            ("displayName eq \"x' OR 1=1 --\"", []),
            ("name eq \"x' OR '1'='1\"", []),
            ("displayName in (\"a'); DROP TABLE tenants; --\", \"\\\" or 1=1 --\")", []),
        ];
        foreach (var (query, expected) in cases)
        {
            var names = await NamesAsync(seeded, TenantListKit.Query(seeded, query) + "&sort_by=name");
            Assert.True(expected.SequenceEqual(names), $"{query}: expected [{string.Join(",", expected)}], got [{string.Join(",", names)}]");
        }

        // The injection-looking values above were only values: the table is still there and whole.
        Assert.Equal(5, (await NamesAsync(seeded, TenantListKit.Query(seeded))).Length);
    }

    [Fact]
    public async Task Name_prefixes_match_exactly_at_the_edges_of_their_range()
    {
        // Around each prefix: the prefix itself, longer names, the names just below and just above it in code-point
        // order, the prefix's successor (its last character plus one) and names that start with the successor.
        string[] suffixes =
        [
            "b", "b9", "ba", "ba-1", "ba9", "baz", "bb", "bb1", "bc",
            "c8z", "c9", "c9-0", "c90", "c9z", "ca",
            "dy9", "dz", "dz0", "dzz", "e",
            "e-1", "e-a-2", "e0", "e1",
        ];
        var seeded = await _kit.SeedNamesAsync(suffixes);
        var p = seeded.Prefix;
        string[] prefixes = ["", "b", "ba", "bb", "c9", "c9-", "dz", "e-", "e-a-", "e0", "c", "bz", "c90", "x", "ba-1", "ba-10"];
        foreach (var prefix in prefixes)
        {
            var expected = suffixes.Where(s => s.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
            foreach (var written in new[] { p + prefix, (p + prefix).ToUpperInvariant() })
            {
                var names = await NamesAsync(seeded, "query=" + Uri.EscapeDataString($"name sw \"{written}\"") + "&sort_by=name&count=100");
                Assert.True(expected.SequenceEqual(names), $"sw \"{written}\": expected [{string.Join(",", expected)}], got [{string.Join(",", names)}]");

                using var total = await _kit.ListAsync("query=" + Uri.EscapeDataString($"domainName sw \"{written}\"") + "&count=0");
                Assert.Equal(expected.Length, (await TenantListKit.BodyAsync(total)).GetProperty("totalResults").GetInt64());
            }
        }

        // The range is only a faster way to the same rows: combined with other terms, negated by them or not.
        Assert.Equal(["ba", "ba-1", "ba9", "baz"], await NamesAsync(seeded, TenantListKit.Query(seeded, $"name sw \"{p}ba\" or name eq \"{p}zz\"") + "&sort_by=name"));
        Assert.Equal(["b9", "ba9"], await NamesAsync(seeded, TenantListKit.Query(seeded, $"(name sw \"{p}b9\" or name sw \"{p}ba9\") and name ne \"{p}b\"") + "&sort_by=name"));
    }

    [Fact]
    public async Task Deep_pages_are_the_same_slice_of_the_whole_list_in_every_order()
    {
        // Display names and creation times repeat, so every order but the default one has ties the id must break.
        string[] suffixes = [.. Enumerable.Range(0, 13).Select(i => $"n{(i * 7) % 13:d2}")];
        var seeded = await _kit.SeedNamesAsync(suffixes, i => ((i % 3) switch { 0 => "Same", 1 => "same", _ => $"Name {i % 5}" }, i % 4));
        string[] sorts =
        [
            "", "&sort_by=name", "&sort_by=name:desc", "&sort_by=domainName", "&sort_by=displayName", "&sort_by=displayName:desc",
            "&sort_by=creationTime", "&sort_by=creationTime:desc", "&sort_by=creationTime:desc,displayName",
        ];
        foreach (var sort in sorts)
        {
            var query = TenantListKit.Query(seeded) + sort;
            var whole = await IdsAsync(query + "&count=100");
            Assert.Equal(suffixes.Length, whole.Length);
            foreach (var count in new[] { 1, 4 })
            {
                for (var start = 1; start <= whole.Length + 1; start++)
                {
                    var page = await IdsAsync(query + $"&start_index={start}&count={count}");
                    Assert.True(whole.Skip(start - 1).Take(count).SequenceEqual(page), $"{sort} start_index={start} count={count}: [{string.Join(",", page)}]");
                }
            }
        }

        // The default order is the id's; its deep pages go by the key alone.
        Assert.Equal(seeded.Tenants.Values.Select(t => t.Id).Order(StringComparer.Ordinal), await IdsAsync(TenantListKit.Query(seeded) + "&count=100"));
    }

    [Fact]
    public async Task Compared_values_reach_the_database_as_parameters_never_as_sql_text()
    {
        await factory.StartAsync();
        await using var scope = factory.ScopeFor(_kit.ApplicationId);
        const string marker = "zqmark' OR 1=1 --";
        var filter = QueryTranslator.Parse(
            $"displayName eq \"{marker}\" or name sw \"{marker}\" or displayName in (\"{marker}\", \"b\") or status in (\"DELETE_IN_PROGRESS\") " +
            "or signupEnabled ne true or creationTime gt \"2024-01-01T00:00:00Z\"",
            TenantJson.Attributes);
        Assert.True(filter.IsValid, filter.Error);

        var sql = LanyardFactory.Db(scope).Tenants.Where(filter.Value!).ToQueryString();
        // ToQueryString lists the parameters' values first (".param set" on SQLite, "-- @p=" on PostgreSQL); the statement follows.
        var statement = string.Join('\n', sql.Split('\n').Where(line => !line.StartsWith(".param", StringComparison.Ordinal) && !line.StartsWith("--", StringComparison.Ordinal)));
        Assert.Contains("@", statement, StringComparison.Ordinal);
        Assert.DoesNotContain("zqmark", statement, StringComparison.Ordinal);
        Assert.DoesNotContain("DELETE_IN_PROGRESS", statement, StringComparison.Ordinal);
        Assert.DoesNotContain("2024", statement, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fields_project_each_item_and_keep_the_id()
    {
        var seeded = await _kit.SeedAsync();
        using var response = await _kit.ListAsync(TenantListKit.Query(seeded) + "&sort_by=name&count=1&fields=" + Uri.EscapeDataString("displayName, metadata.creationTime, nonsense"));
        var item = Assert.Single((await TenantListKit.BodyAsync(response)).GetProperty("items").EnumerateArray());
        Assert.Equal(["id", "displayName", "metadata"], item.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["creationTime"], item.GetProperty("metadata").EnumerateObject().Select(p => p.Name));
        Assert.Equal(seeded.Tenants["alpha"].Id, item.GetProperty("id").GetString());

        using var all = await _kit.ListAsync(TenantListKit.Query(seeded) + "&count=1&fields=*");
        Assert.Equal(12, Assert.Single((await TenantListKit.BodyAsync(all)).GetProperty("items").EnumerateArray()).EnumerateObject().Count());
    }

    [Theory]
    [InlineData("query=nickname%20eq%20%22x%22", "invalid_query", "Unknown attribute 'nickname'")]
    [InlineData("query=signupEnabled%20lt%20true", "invalid_query", "does not apply to 'signupEnabled'")]
    [InlineData("query=description%20eq%20%22x%22", "invalid_query", "Unknown attribute")]
    [InlineData("query=(name%20eq%20%22x%22", "invalid_query", "Unbalanced parentheses")]
    [InlineData("query=name%20eq%20x", "invalid_query", "Expected a value")]
    [InlineData("query=status%20eq%20%22GONE%22", "invalid_query", "\"ACTIVE\"")]
    [InlineData("sort_by=status", "invalid_sort", "unknown attribute 'status'")]
    [InlineData("sort_by=name:sideways", "invalid_sort", "asc or desc")]
    [InlineData("start_index=0", "invalid_request", "start_index")]
    [InlineData("count=1001", "invalid_request", "count")]
    [InlineData("count=abc", "invalid_request", "count")]
    public async Task Bad_list_parameters_are_400_base_errors(string query, string code, string message)
    {
        using var response = await _kit.ListAsync(query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await TenantListKit.BodyAsync(response);
        Assert.Equal("base_error", body.GetProperty("type").GetString());
        Assert.Equal(code, body.GetProperty("code").GetString());
        Assert.Contains(message, body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(body.GetProperty("ticket").GetString()));
    }

    [Fact]
    public async Task The_limits_of_the_query_language_answer_400()
    {
        await factory.StartAsync();
        var deep = new string('(', 25) + "name eq \"x\"" + new string(')', 25);
        var many = string.Join(" or ", Enumerable.Range(0, 51).Select(i => $"name eq \"n{i}\""));
        var longQuery = "name eq \"" + new string('a', 2001) + "\"";
        foreach (var (query, message) in new[] { (deep, "nested too deeply"), (many, "too many terms"), (longQuery, "too long") })
        {
            using var response = await _kit.ListAsync("query=" + Uri.EscapeDataString(query));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var body = await TenantListKit.BodyAsync(response);
            Assert.Equal("invalid_query", body.GetProperty("code").GetString());
            Assert.Contains(message, body.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Another_applications_id_is_not_found()
    {
        var admin = await _kit.AdminAsync();
        using var response = await admin.GetAsync(new Uri("/api/v1/applications/aaaaaaaaaaaaaaaaaaaaaaaaaa/tenants", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application_not_found", (await TenantListKit.BodyAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Without_a_token_401_and_without_the_permission_403()
    {
        await factory.StartAsync();
        using var anonymous = factory.ClientFor(LanyardFactory.ApplicationHost);
        using var unauthenticated = await _kit.ListAsync("", anonymous);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        Assert.Equal("invalid_token", (await TenantListKit.BodyAsync(unauthenticated)).GetProperty("code").GetString());

        anonymous.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-a-token");
        using var forged = await _kit.ListAsync("", anonymous);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);

        using var powerless = await _kit.PowerlessApiAsync();
        using var forbidden = await _kit.ListAsync("", powerless);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("forbidden", (await TenantListKit.BodyAsync(forbidden)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_tenant_users_token_sees_only_its_own_tenant()
    {
        var seeded = await _kit.SeedAsync();
        var own = await factory.CreateTenantAsync();
        using var api = await _kit.TenantUserApiAsync(own);

        using var everything = await _kit.ListAsync("", api);
        Assert.Equal(HttpStatusCode.OK, everything.StatusCode);
        var body = await TenantListKit.BodyAsync(everything);
        Assert.Equal(1, body.GetProperty("totalResults").GetInt64());
        Assert.Equal(own.Id, Assert.Single(body.GetProperty("items").EnumerateArray()).GetProperty("id").GetString());

        using var others = await _kit.ListAsync(TenantListKit.Query(seeded), api);
        body = await TenantListKit.BodyAsync(others);
        Assert.Equal(0, body.GetProperty("totalResults").GetInt64());

        using var byId = await _kit.ListAsync("query=" + Uri.EscapeDataString($"id eq \"{seeded.Tenants["alpha"].Id}\" or id eq \"{own.Id}\""), api);
        body = await TenantListKit.BodyAsync(byId);
        Assert.Equal(own.Id, Assert.Single(body.GetProperty("items").EnumerateArray()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task The_api_is_not_served_on_a_tenant_host()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = factory.ClientFor(LanyardFactory.TenantHost(tenant.Name));
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await factory.AdminTokenAsync());
        using var response = await client.GetAsync(new Uri(_kit.ListPath, UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<string[]> IdsAsync(string query)
    {
        using var response = await _kit.ListAsync(query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await TenantListKit.BodyAsync(response);
        return [.. body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!)];
    }

    private async Task<string[]> NamesAsync(Seeded seeded, string query)
    {
        using var response = await _kit.ListAsync(query);
        return await TenantListKit.NamesAsync(response, seeded);
    }

    // The vanity domain carries the port the application is configured with, if any.
    private static string Host(string vanityDomain) => vanityDomain.Split(':')[0];
}

public sealed class TenantListApiOnSqlite(SqliteLanyard factory) : TenantListApiTests(factory), IClassFixture<SqliteLanyard>;

public sealed class TenantListApiOnPostgres(PostgresLanyard factory) : TenantListApiTests(factory), IClassFixture<PostgresLanyard>;
